/**
 * The fixed words the printed International Patient Summary uses, in the languages the
 * practice's patients read, and which of them a patient's language setting gets. Only these
 * labels are translated: the clinical text (problem and drug names, reactions, doses) prints
 * as it was recorded.
 *
 * Status words are per kind of record, so that each agrees with its noun where the language
 * needs it (Spanish "problema activo", "alergia activa"). Codes with no word here print as
 * the code itself.
 */

/** The languages with labels, by ISO 639-1 code. */
export const ipsLanguages = ['en', 'es', 'fr', 'de', 'pt', 'it', 'vi', 'zh', 'ar'] as const;
export type IpsLanguage = (typeof ipsLanguages)[number];

/** The Composition sections with a title here, by LOINC code; any other prints its own title. */
export type IpsSectionCode =
  | '11450-4'
  | '10160-0'
  | '48765-2'
  | '11369-6'
  | '30954-2'
  | '8716-3'
  | '47519-4'
  | '46264-8'
  | '18776-5'
  | '11348-0'
  | '29762-2';

export interface IpsLabels {
  /** The language's own name, for the picker. */
  name: string;
  dir: 'ltr' | 'rtl';
  /** The locale dates are written in. */
  locale: string;
  title: string;
  sections: Record<IpsSectionCode, string>;
  columns: {
    problem: string;
    onset: string;
    status: string;
    medication: string;
    dosage: string;
    substance: string;
    reactions: string;
    severity: string;
    criticality: string;
    vaccine: string;
    date: string;
    test: string;
    result: string;
    flag: string;
    measurement: string;
    procedure: string;
    item: string;
  };
  born: string;
  sex: string;
  /** The practice's medical record number. */
  mrn: string;
  /** Any other identifier that names no kind of its own. */
  identifier: string;
  preparedBy: string;
  printedOn: string;
  /** A birth date not recorded. */
  unknown: string;
  sexes: Record<'female' | 'male' | 'other' | 'unknown', string>;
  problemStatus: Record<
    'active' | 'inactive' | 'resolved' | 'remission' | 'recurrence' | 'relapse',
    string
  >;
  medicationStatus: Record<
    'active' | 'completed' | 'stopped' | 'on-hold' | 'intended' | 'not-taken' | 'unknown',
    string
  >;
  allergyStatus: Record<'active' | 'inactive' | 'resolved', string>;
  immunizationStatus: Record<'completed' | 'not-done', string>;
  procedureStatus: Record<
    'completed' | 'in-progress' | 'preparation' | 'not-done' | 'stopped' | 'on-hold' | 'unknown',
    string
  >;
  severities: Record<'mild' | 'moderate' | 'severe', string>;
  criticalities: Record<'low' | 'high' | 'unable-to-assess', string>;
  /** Result interpretation (HL7 v3 ObservationInterpretation codes). */
  flags: Record<'N' | 'A' | 'AA' | 'H' | 'HH' | 'L' | 'LL', string>;
  /** The SNOMED CT "no known …" allergy statements. */
  noKnown: Record<'all' | 'drug' | 'food' | 'environment', string>;
  /** An empty section (the IPS emptyReason). */
  noneRecorded: string;
  /** That the same summary is also a file. */
  fhirNote: string;
}

export const ipsLabels: Record<IpsLanguage, IpsLabels> = {
  en: {
    name: 'English',
    dir: 'ltr',
    locale: 'en',
    title: 'International Patient Summary',
    sections: {
      '11450-4': 'Problems',
      '10160-0': 'Medications',
      '48765-2': 'Allergies and intolerances',
      '11369-6': 'Immunizations',
      '30954-2': 'Results',
      '8716-3': 'Vital signs',
      '47519-4': 'Procedures',
      '46264-8': 'Medical devices',
      '18776-5': 'Plan of care',
      '11348-0': 'Past illnesses',
      '29762-2': 'Social history',
    },
    columns: {
      problem: 'Problem',
      onset: 'Onset',
      status: 'Status',
      medication: 'Medication',
      dosage: 'Dosage',
      substance: 'Substance',
      reactions: 'Reactions',
      severity: 'Severity',
      criticality: 'Criticality',
      vaccine: 'Vaccine',
      date: 'Date',
      test: 'Test',
      result: 'Result',
      flag: 'Flag',
      measurement: 'Measurement',
      procedure: 'Procedure',
      item: 'Entry',
    },
    born: 'Born',
    sex: 'Sex',
    mrn: 'MRN',
    identifier: 'Identifier',
    preparedBy: 'Prepared by',
    printedOn: 'Printed on',
    unknown: 'unknown',
    sexes: { female: 'Female', male: 'Male', other: 'Other', unknown: 'Unknown' },
    problemStatus: {
      active: 'Active',
      inactive: 'Inactive',
      resolved: 'Resolved',
      remission: 'In remission',
      recurrence: 'Recurrence',
      relapse: 'Relapse',
    },
    medicationStatus: {
      active: 'Active',
      completed: 'Completed',
      stopped: 'Stopped',
      'on-hold': 'On hold',
      intended: 'Intended',
      'not-taken': 'Not taken',
      unknown: 'Unknown',
    },
    allergyStatus: { active: 'Active', inactive: 'Inactive', resolved: 'Resolved' },
    immunizationStatus: { completed: 'Given', 'not-done': 'Not given' },
    procedureStatus: {
      completed: 'Completed',
      'in-progress': 'In progress',
      preparation: 'Planned',
      'not-done': 'Not done',
      stopped: 'Stopped',
      'on-hold': 'On hold',
      unknown: 'Unknown',
    },
    severities: { mild: 'Mild', moderate: 'Moderate', severe: 'Severe' },
    criticalities: { low: 'Low', high: 'High', 'unable-to-assess': 'Unable to assess' },
    flags: {
      N: 'Normal',
      A: 'Abnormal',
      AA: 'Critically abnormal',
      H: 'High',
      HH: 'Critically high',
      L: 'Low',
      LL: 'Critically low',
    },
    noKnown: {
      all: 'No known allergies',
      drug: 'No known drug allergies',
      food: 'No known food allergies',
      environment: 'No known environmental allergies',
    },
    noneRecorded: 'None recorded',
    fhirNote:
      'The same summary is available as a FHIR International Patient Summary file that any electronic health record can read.',
  },
  es: {
    name: 'Español',
    dir: 'ltr',
    locale: 'es',
    title: 'Resumen Internacional del Paciente',
    sections: {
      '11450-4': 'Problemas de salud',
      '10160-0': 'Medicación',
      '48765-2': 'Alergias e intolerancias',
      '11369-6': 'Vacunas',
      '30954-2': 'Resultados',
      '8716-3': 'Signos vitales',
      '47519-4': 'Procedimientos',
      '46264-8': 'Dispositivos médicos',
      '18776-5': 'Plan de cuidados',
      '11348-0': 'Enfermedades previas',
      '29762-2': 'Antecedentes sociales',
    },
    columns: {
      problem: 'Problema',
      onset: 'Inicio',
      status: 'Estado',
      medication: 'Medicamento',
      dosage: 'Posología',
      substance: 'Sustancia',
      reactions: 'Reacciones',
      severity: 'Gravedad',
      criticality: 'Criticidad',
      vaccine: 'Vacuna',
      date: 'Fecha',
      test: 'Prueba',
      result: 'Resultado',
      flag: 'Interpretación',
      measurement: 'Medición',
      procedure: 'Procedimiento',
      item: 'Registro',
    },
    born: 'Fecha de nacimiento',
    sex: 'Sexo',
    mrn: 'N.º de historia clínica',
    identifier: 'Identificador',
    preparedBy: 'Elaborado por',
    printedOn: 'Impreso el',
    unknown: 'desconocida',
    sexes: { female: 'Femenino', male: 'Masculino', other: 'Otro', unknown: 'Desconocido' },
    problemStatus: {
      active: 'Activo',
      inactive: 'Inactivo',
      resolved: 'Resuelto',
      remission: 'En remisión',
      recurrence: 'Recurrencia',
      relapse: 'Recaída',
    },
    medicationStatus: {
      active: 'Activo',
      completed: 'Finalizado',
      stopped: 'Suspendido',
      'on-hold': 'En pausa',
      intended: 'Previsto',
      'not-taken': 'No tomado',
      unknown: 'Desconocido',
    },
    allergyStatus: { active: 'Activa', inactive: 'Inactiva', resolved: 'Resuelta' },
    immunizationStatus: { completed: 'Administrada', 'not-done': 'No administrada' },
    procedureStatus: {
      completed: 'Realizado',
      'in-progress': 'En curso',
      preparation: 'Programado',
      'not-done': 'No realizado',
      stopped: 'Interrumpido',
      'on-hold': 'En pausa',
      unknown: 'Desconocido',
    },
    severities: { mild: 'Leve', moderate: 'Moderada', severe: 'Grave' },
    criticalities: { low: 'Baja', high: 'Alta', 'unable-to-assess': 'No evaluable' },
    flags: {
      N: 'Normal',
      A: 'Anormal',
      AA: 'Anormal, crítico',
      H: 'Alto',
      HH: 'Alto, crítico',
      L: 'Bajo',
      LL: 'Bajo, crítico',
    },
    noKnown: {
      all: 'Sin alergias conocidas',
      drug: 'Sin alergias conocidas a medicamentos',
      food: 'Sin alergias alimentarias conocidas',
      environment: 'Sin alergias ambientales conocidas',
    },
    noneRecorded: 'Sin información registrada',
    fhirNote:
      'Este mismo resumen está disponible como archivo FHIR (Resumen Internacional del Paciente), legible por cualquier sistema de historia clínica electrónica.',
  },
  fr: {
    name: 'Français',
    dir: 'ltr',
    locale: 'fr',
    title: 'Résumé international du patient',
    sections: {
      '11450-4': 'Problèmes de santé',
      '10160-0': 'Médicaments',
      '48765-2': 'Allergies et intolérances',
      '11369-6': 'Vaccinations',
      '30954-2': 'Résultats',
      '8716-3': 'Signes vitaux',
      '47519-4': 'Actes et interventions',
      '46264-8': 'Dispositifs médicaux',
      '18776-5': 'Plan de soins',
      '11348-0': 'Antécédents médicaux',
      '29762-2': 'Mode de vie',
    },
    columns: {
      problem: 'Problème',
      onset: 'Début',
      status: 'Statut',
      medication: 'Médicament',
      dosage: 'Posologie',
      substance: 'Substance',
      reactions: 'Réactions',
      severity: 'Sévérité',
      criticality: 'Criticité',
      vaccine: 'Vaccin',
      date: 'Date',
      test: 'Examen',
      result: 'Résultat',
      flag: 'Interprétation',
      measurement: 'Mesure',
      procedure: 'Acte',
      item: 'Élément',
    },
    born: 'Date de naissance',
    sex: 'Sexe',
    mrn: 'N° de dossier',
    identifier: 'Identifiant',
    preparedBy: 'Établi par',
    printedOn: 'Imprimé le',
    unknown: 'inconnue',
    sexes: { female: 'Féminin', male: 'Masculin', other: 'Autre', unknown: 'Inconnu' },
    problemStatus: {
      active: 'Actif',
      inactive: 'Inactif',
      resolved: 'Résolu',
      remission: 'En rémission',
      recurrence: 'Récidive',
      relapse: 'Rechute',
    },
    medicationStatus: {
      active: 'En cours',
      completed: 'Terminé',
      stopped: 'Arrêté',
      'on-hold': 'Suspendu',
      intended: 'Prévu',
      'not-taken': 'Non pris',
      unknown: 'Inconnu',
    },
    allergyStatus: { active: 'Active', inactive: 'Inactive', resolved: 'Résolue' },
    immunizationStatus: { completed: 'Administré', 'not-done': 'Non administré' },
    procedureStatus: {
      completed: 'Réalisé',
      'in-progress': 'En cours',
      preparation: 'Programmé',
      'not-done': 'Non réalisé',
      stopped: 'Interrompu',
      'on-hold': 'Suspendu',
      unknown: 'Inconnu',
    },
    severities: { mild: 'Légère', moderate: 'Modérée', severe: 'Sévère' },
    criticalities: { low: 'Faible', high: 'Élevée', 'unable-to-assess': 'Non évaluable' },
    flags: {
      N: 'Normal',
      A: 'Anormal',
      AA: 'Anormal, critique',
      H: 'Élevé',
      HH: 'Élevé, critique',
      L: 'Bas',
      LL: 'Bas, critique',
    },
    noKnown: {
      all: 'Aucune allergie connue',
      drug: 'Aucune allergie médicamenteuse connue',
      food: 'Aucune allergie alimentaire connue',
      environment: 'Aucune allergie environnementale connue',
    },
    noneRecorded: 'Aucune information enregistrée',
    fhirNote:
      'Ce même résumé est disponible sous forme de fichier FHIR (Résumé international du patient), lisible par tout dossier patient informatisé.',
  },
  de: {
    name: 'Deutsch',
    dir: 'ltr',
    locale: 'de',
    title: 'Internationale Patientenkurzakte',
    sections: {
      '11450-4': 'Gesundheitsprobleme',
      '10160-0': 'Medikation',
      '48765-2': 'Allergien und Unverträglichkeiten',
      '11369-6': 'Impfungen',
      '30954-2': 'Befunde',
      '8716-3': 'Vitalparameter',
      '47519-4': 'Eingriffe und Prozeduren',
      '46264-8': 'Medizinprodukte',
      '18776-5': 'Behandlungsplan',
      '11348-0': 'Frühere Erkrankungen',
      '29762-2': 'Sozialanamnese',
    },
    columns: {
      problem: 'Problem',
      onset: 'Beginn',
      status: 'Status',
      medication: 'Medikament',
      dosage: 'Dosierung',
      substance: 'Substanz',
      reactions: 'Reaktionen',
      severity: 'Schweregrad',
      criticality: 'Kritikalität',
      vaccine: 'Impfstoff',
      date: 'Datum',
      test: 'Untersuchung',
      result: 'Ergebnis',
      flag: 'Bewertung',
      measurement: 'Messung',
      procedure: 'Eingriff',
      item: 'Eintrag',
    },
    born: 'Geburtsdatum',
    sex: 'Geschlecht',
    mrn: 'Patientennummer',
    identifier: 'Kennung',
    preparedBy: 'Erstellt von',
    printedOn: 'Gedruckt am',
    unknown: 'unbekannt',
    sexes: { female: 'Weiblich', male: 'Männlich', other: 'Divers', unknown: 'Unbekannt' },
    problemStatus: {
      active: 'Aktiv',
      inactive: 'Inaktiv',
      resolved: 'Abgeklungen',
      remission: 'In Remission',
      recurrence: 'Wiederauftreten',
      relapse: 'Rückfall',
    },
    medicationStatus: {
      active: 'Aktuell',
      completed: 'Abgeschlossen',
      stopped: 'Abgesetzt',
      'on-hold': 'Pausiert',
      intended: 'Geplant',
      'not-taken': 'Nicht eingenommen',
      unknown: 'Unbekannt',
    },
    allergyStatus: { active: 'Aktiv', inactive: 'Inaktiv', resolved: 'Abgeklungen' },
    immunizationStatus: { completed: 'Verabreicht', 'not-done': 'Nicht verabreicht' },
    procedureStatus: {
      completed: 'Durchgeführt',
      'in-progress': 'Laufend',
      preparation: 'Geplant',
      'not-done': 'Nicht durchgeführt',
      stopped: 'Abgebrochen',
      'on-hold': 'Pausiert',
      unknown: 'Unbekannt',
    },
    severities: { mild: 'Leicht', moderate: 'Mittelschwer', severe: 'Schwer' },
    criticalities: { low: 'Gering', high: 'Hoch', 'unable-to-assess': 'Nicht beurteilbar' },
    flags: {
      N: 'Normal',
      A: 'Auffällig',
      AA: 'Kritisch auffällig',
      H: 'Erhöht',
      HH: 'Kritisch erhöht',
      L: 'Erniedrigt',
      LL: 'Kritisch erniedrigt',
    },
    noKnown: {
      all: 'Keine bekannten Allergien',
      drug: 'Keine bekannten Arzneimittelallergien',
      food: 'Keine bekannten Nahrungsmittelallergien',
      environment: 'Keine bekannten Umweltallergien',
    },
    noneRecorded: 'Keine Angaben erfasst',
    fhirNote:
      'Diese Zusammenfassung gibt es auch als FHIR-Datei (International Patient Summary), die jedes elektronische Patientenaktensystem lesen kann.',
  },
  pt: {
    name: 'Português',
    dir: 'ltr',
    locale: 'pt',
    title: 'Resumo Internacional do Paciente',
    sections: {
      '11450-4': 'Problemas de saúde',
      '10160-0': 'Medicamentos',
      '48765-2': 'Alergias e intolerâncias',
      '11369-6': 'Vacinas',
      '30954-2': 'Resultados',
      '8716-3': 'Sinais vitais',
      '47519-4': 'Procedimentos',
      '46264-8': 'Dispositivos médicos',
      '18776-5': 'Plano de cuidados',
      '11348-0': 'Doenças anteriores',
      '29762-2': 'Hábitos de vida',
    },
    columns: {
      problem: 'Problema',
      onset: 'Início',
      status: 'Situação',
      medication: 'Medicamento',
      dosage: 'Posologia',
      substance: 'Substância',
      reactions: 'Reações',
      severity: 'Gravidade',
      criticality: 'Criticidade',
      vaccine: 'Vacina',
      date: 'Data',
      test: 'Exame',
      result: 'Resultado',
      flag: 'Interpretação',
      measurement: 'Medição',
      procedure: 'Procedimento',
      item: 'Item',
    },
    born: 'Data de nascimento',
    sex: 'Sexo',
    mrn: 'N.º do prontuário',
    identifier: 'Identificador',
    preparedBy: 'Elaborado por',
    printedOn: 'Impresso em',
    unknown: 'desconhecida',
    sexes: { female: 'Feminino', male: 'Masculino', other: 'Outro', unknown: 'Desconhecido' },
    problemStatus: {
      active: 'Ativo',
      inactive: 'Inativo',
      resolved: 'Resolvido',
      remission: 'Em remissão',
      recurrence: 'Recorrência',
      relapse: 'Recidiva',
    },
    medicationStatus: {
      active: 'Em uso',
      completed: 'Concluído',
      stopped: 'Suspenso',
      'on-hold': 'Em pausa',
      intended: 'Previsto',
      'not-taken': 'Não tomado',
      unknown: 'Desconhecido',
    },
    allergyStatus: { active: 'Ativa', inactive: 'Inativa', resolved: 'Resolvida' },
    immunizationStatus: { completed: 'Administrada', 'not-done': 'Não administrada' },
    procedureStatus: {
      completed: 'Realizado',
      'in-progress': 'Em curso',
      preparation: 'Agendado',
      'not-done': 'Não realizado',
      stopped: 'Interrompido',
      'on-hold': 'Em pausa',
      unknown: 'Desconhecido',
    },
    severities: { mild: 'Leve', moderate: 'Moderada', severe: 'Grave' },
    criticalities: { low: 'Baixa', high: 'Alta', 'unable-to-assess': 'Não avaliável' },
    flags: {
      N: 'Normal',
      A: 'Anormal',
      AA: 'Anormal, crítico',
      H: 'Alto',
      HH: 'Alto, crítico',
      L: 'Baixo',
      LL: 'Baixo, crítico',
    },
    noKnown: {
      all: 'Sem alergias conhecidas',
      drug: 'Sem alergias conhecidas a medicamentos',
      food: 'Sem alergias alimentares conhecidas',
      environment: 'Sem alergias ambientais conhecidas',
    },
    noneRecorded: 'Nenhuma informação registrada',
    fhirNote:
      'Este mesmo resumo está disponível como arquivo FHIR (Resumo Internacional do Paciente), que qualquer sistema de prontuário eletrônico pode ler.',
  },
  it: {
    name: 'Italiano',
    dir: 'ltr',
    locale: 'it',
    title: 'Sintesi internazionale del paziente',
    sections: {
      '11450-4': 'Problemi di salute',
      '10160-0': 'Terapia farmacologica',
      '48765-2': 'Allergie e intolleranze',
      '11369-6': 'Vaccinazioni',
      '30954-2': 'Risultati',
      '8716-3': 'Parametri vitali',
      '47519-4': 'Procedure e interventi',
      '46264-8': 'Dispositivi medici',
      '18776-5': 'Piano di cura',
      '11348-0': 'Patologie pregresse',
      '29762-2': 'Stile di vita',
    },
    columns: {
      problem: 'Problema',
      onset: 'Esordio',
      status: 'Stato',
      medication: 'Farmaco',
      dosage: 'Posologia',
      substance: 'Sostanza',
      reactions: 'Reazioni',
      severity: 'Gravità',
      criticality: 'Criticità',
      vaccine: 'Vaccino',
      date: 'Data',
      test: 'Esame',
      result: 'Risultato',
      flag: 'Interpretazione',
      measurement: 'Parametro',
      procedure: 'Procedura',
      item: 'Voce',
    },
    born: 'Data di nascita',
    sex: 'Sesso',
    mrn: 'N. cartella clinica',
    identifier: 'Identificativo',
    preparedBy: 'Redatto da',
    printedOn: 'Stampato il',
    unknown: 'non nota',
    sexes: { female: 'Femminile', male: 'Maschile', other: 'Altro', unknown: 'Non noto' },
    problemStatus: {
      active: 'Attivo',
      inactive: 'Inattivo',
      resolved: 'Risolto',
      remission: 'In remissione',
      recurrence: 'Recidiva',
      relapse: 'Ricaduta',
    },
    medicationStatus: {
      active: 'In corso',
      completed: 'Terminato',
      stopped: 'Sospeso',
      'on-hold': 'In pausa',
      intended: 'Previsto',
      'not-taken': 'Non assunto',
      unknown: 'Non noto',
    },
    allergyStatus: { active: 'Attiva', inactive: 'Inattiva', resolved: 'Risolta' },
    immunizationStatus: { completed: 'Somministrato', 'not-done': 'Non somministrato' },
    procedureStatus: {
      completed: 'Eseguito',
      'in-progress': 'In corso',
      preparation: 'Programmato',
      'not-done': 'Non eseguito',
      stopped: 'Interrotto',
      'on-hold': 'In pausa',
      unknown: 'Non noto',
    },
    severities: { mild: 'Lieve', moderate: 'Moderata', severe: 'Grave' },
    criticalities: { low: 'Bassa', high: 'Alta', 'unable-to-assess': 'Non valutabile' },
    flags: {
      N: 'Normale',
      A: 'Anomalo',
      AA: 'Anomalo, critico',
      H: 'Alto',
      HH: 'Alto, critico',
      L: 'Basso',
      LL: 'Basso, critico',
    },
    noKnown: {
      all: 'Nessuna allergia nota',
      drug: 'Nessuna allergia nota a farmaci',
      food: 'Nessuna allergia alimentare nota',
      environment: 'Nessuna allergia ambientale nota',
    },
    noneRecorded: 'Nessuna informazione registrata',
    fhirNote:
      'La stessa sintesi è disponibile come file FHIR (International Patient Summary), leggibile da qualsiasi sistema di cartella clinica elettronica.',
  },
  vi: {
    name: 'Tiếng Việt',
    dir: 'ltr',
    locale: 'vi',
    title: 'Tóm tắt hồ sơ bệnh nhân quốc tế',
    sections: {
      '11450-4': 'Vấn đề sức khỏe',
      '10160-0': 'Thuốc',
      '48765-2': 'Dị ứng và không dung nạp',
      '11369-6': 'Tiêm chủng',
      '30954-2': 'Kết quả xét nghiệm',
      '8716-3': 'Dấu hiệu sinh tồn',
      '47519-4': 'Thủ thuật và phẫu thuật',
      '46264-8': 'Thiết bị y tế',
      '18776-5': 'Kế hoạch chăm sóc',
      '11348-0': 'Tiền sử bệnh',
      '29762-2': 'Tiền sử xã hội',
    },
    columns: {
      problem: 'Vấn đề',
      onset: 'Khởi phát',
      status: 'Tình trạng',
      medication: 'Thuốc',
      dosage: 'Liều dùng',
      substance: 'Tác nhân',
      reactions: 'Phản ứng',
      severity: 'Mức độ nặng',
      criticality: 'Mức độ nguy hiểm',
      vaccine: 'Vắc-xin',
      date: 'Ngày',
      test: 'Xét nghiệm',
      result: 'Kết quả',
      flag: 'Đánh giá',
      measurement: 'Chỉ số',
      procedure: 'Thủ thuật',
      item: 'Mục',
    },
    born: 'Ngày sinh',
    sex: 'Giới tính',
    mrn: 'Số hồ sơ bệnh án',
    identifier: 'Mã định danh',
    preparedBy: 'Cơ sở lập',
    printedOn: 'Ngày in',
    unknown: 'không rõ',
    sexes: { female: 'Nữ', male: 'Nam', other: 'Khác', unknown: 'Không rõ' },
    problemStatus: {
      active: 'Đang mắc',
      inactive: 'Không hoạt động',
      resolved: 'Đã khỏi',
      remission: 'Thuyên giảm',
      recurrence: 'Tái diễn',
      relapse: 'Tái phát',
    },
    medicationStatus: {
      active: 'Đang dùng',
      completed: 'Đã dùng xong',
      stopped: 'Đã ngừng',
      'on-hold': 'Tạm ngừng',
      intended: 'Dự kiến dùng',
      'not-taken': 'Không dùng',
      unknown: 'Không rõ',
    },
    allergyStatus: { active: 'Hiện có', inactive: 'Không hoạt động', resolved: 'Đã hết' },
    immunizationStatus: { completed: 'Đã tiêm', 'not-done': 'Không tiêm' },
    procedureStatus: {
      completed: 'Đã thực hiện',
      'in-progress': 'Đang thực hiện',
      preparation: 'Đã lên lịch',
      'not-done': 'Không thực hiện',
      stopped: 'Đã dừng',
      'on-hold': 'Tạm hoãn',
      unknown: 'Không rõ',
    },
    severities: { mild: 'Nhẹ', moderate: 'Trung bình', severe: 'Nặng' },
    criticalities: { low: 'Thấp', high: 'Cao', 'unable-to-assess': 'Không đánh giá được' },
    flags: {
      N: 'Bình thường',
      A: 'Bất thường',
      AA: 'Bất thường nguy kịch',
      H: 'Cao',
      HH: 'Cao nguy kịch',
      L: 'Thấp',
      LL: 'Thấp nguy kịch',
    },
    noKnown: {
      all: 'Không có dị ứng đã biết',
      drug: 'Không có dị ứng thuốc đã biết',
      food: 'Không có dị ứng thực phẩm đã biết',
      environment: 'Không có dị ứng môi trường đã biết',
    },
    noneRecorded: 'Chưa có thông tin',
    fhirNote:
      'Bản tóm tắt này cũng có dạng tệp FHIR (International Patient Summary) mà mọi hệ thống hồ sơ sức khỏe điện tử đều đọc được.',
  },
  zh: {
    name: '简体中文',
    dir: 'ltr',
    locale: 'zh-Hans',
    title: '国际患者摘要',
    sections: {
      '11450-4': '健康问题',
      '10160-0': '用药',
      '48765-2': '过敏与不耐受',
      '11369-6': '疫苗接种',
      '30954-2': '检验结果',
      '8716-3': '生命体征',
      '47519-4': '手术与操作',
      '46264-8': '医疗器械',
      '18776-5': '诊疗计划',
      '11348-0': '既往病史',
      '29762-2': '个人史',
    },
    columns: {
      problem: '问题',
      onset: '发病日期',
      status: '状态',
      medication: '药物',
      dosage: '用法用量',
      substance: '过敏原',
      reactions: '反应',
      severity: '严重程度',
      criticality: '危险程度',
      vaccine: '疫苗',
      date: '日期',
      test: '检验项目',
      result: '结果',
      flag: '提示',
      measurement: '项目',
      procedure: '手术或操作',
      item: '条目',
    },
    born: '出生日期',
    sex: '性别',
    mrn: '病历号',
    identifier: '标识号',
    preparedBy: '编制机构',
    printedOn: '打印日期',
    unknown: '未知',
    sexes: { female: '女', male: '男', other: '其他', unknown: '未知' },
    problemStatus: {
      active: '现患',
      inactive: '非活动',
      resolved: '已解决',
      remission: '缓解期',
      recurrence: '再发',
      relapse: '复发',
    },
    medicationStatus: {
      active: '正在使用',
      completed: '已完成',
      stopped: '已停用',
      'on-hold': '暂停',
      intended: '计划使用',
      'not-taken': '未服用',
      unknown: '未知',
    },
    allergyStatus: { active: '现存', inactive: '非活动', resolved: '已消退' },
    immunizationStatus: { completed: '已接种', 'not-done': '未接种' },
    procedureStatus: {
      completed: '已完成',
      'in-progress': '进行中',
      preparation: '已计划',
      'not-done': '未进行',
      stopped: '已中止',
      'on-hold': '暂停',
      unknown: '未知',
    },
    severities: { mild: '轻度', moderate: '中度', severe: '重度' },
    criticalities: { low: '低', high: '高', 'unable-to-assess': '无法评估' },
    flags: {
      N: '正常',
      A: '异常',
      AA: '危急异常',
      H: '偏高',
      HH: '危急偏高',
      L: '偏低',
      LL: '危急偏低',
    },
    noKnown: {
      all: '无已知过敏',
      drug: '无已知药物过敏',
      food: '无已知食物过敏',
      environment: '无已知环境过敏',
    },
    noneRecorded: '无记录',
    fhirNote: '本摘要另有 FHIR 格式的电子文件（国际患者摘要），任何电子病历系统均可读取。',
  },
  ar: {
    name: 'العربية',
    dir: 'rtl',
    // Western digits, as the recorded values and doses are written.
    locale: 'ar-u-nu-latn',
    title: 'الملخص الدولي للمريض',
    sections: {
      '11450-4': 'المشكلات الصحية',
      '10160-0': 'الأدوية',
      '48765-2': 'الحساسية وعدم التحمل',
      '11369-6': 'التطعيمات',
      '30954-2': 'نتائج الفحوصات',
      '8716-3': 'العلامات الحيوية',
      '47519-4': 'الإجراءات الطبية',
      '46264-8': 'الأجهزة الطبية',
      '18776-5': 'خطة الرعاية',
      '11348-0': 'الأمراض السابقة',
      '29762-2': 'التاريخ الاجتماعي',
    },
    columns: {
      problem: 'المشكلة',
      onset: 'تاريخ البدء',
      status: 'الحالة',
      medication: 'الدواء',
      dosage: 'الجرعة وطريقة الاستعمال',
      substance: 'المادة المسببة',
      reactions: 'التفاعلات',
      severity: 'الشدة',
      criticality: 'درجة الخطورة',
      vaccine: 'اللقاح',
      date: 'التاريخ',
      test: 'الفحص',
      result: 'النتيجة',
      flag: 'التفسير',
      measurement: 'القياس',
      procedure: 'الإجراء',
      item: 'البند',
    },
    born: 'تاريخ الميلاد',
    sex: 'الجنس',
    mrn: 'رقم الملف الطبي',
    identifier: 'رقم التعريف',
    preparedBy: 'جهة الإعداد',
    printedOn: 'تاريخ الطباعة',
    unknown: 'غير معروف',
    sexes: { female: 'أنثى', male: 'ذكر', other: 'آخر', unknown: 'غير معروف' },
    problemStatus: {
      active: 'نشطة',
      inactive: 'غير نشطة',
      resolved: 'زالت',
      remission: 'في مرحلة هدوء',
      recurrence: 'معاودة',
      relapse: 'انتكاس',
    },
    medicationStatus: {
      active: 'قيد الاستعمال',
      completed: 'اكتمل',
      stopped: 'أُوقف',
      'on-hold': 'معلّق',
      intended: 'مخطط له',
      'not-taken': 'لم يُتناول',
      unknown: 'غير معروف',
    },
    allergyStatus: { active: 'نشطة', inactive: 'غير نشطة', resolved: 'زالت' },
    immunizationStatus: { completed: 'أُعطي', 'not-done': 'لم يُعطَ' },
    procedureStatus: {
      completed: 'أُجري',
      'in-progress': 'قيد التنفيذ',
      preparation: 'مُجدول',
      'not-done': 'لم يُجرَ',
      stopped: 'أُوقف',
      'on-hold': 'معلّق',
      unknown: 'غير معروف',
    },
    severities: { mild: 'خفيفة', moderate: 'متوسطة', severe: 'شديدة' },
    criticalities: { low: 'منخفضة', high: 'عالية', 'unable-to-assess': 'تعذّر التقييم' },
    flags: {
      N: 'طبيعي',
      A: 'غير طبيعي',
      AA: 'غير طبيعي، حرج',
      H: 'مرتفع',
      HH: 'مرتفع، حرج',
      L: 'منخفض',
      LL: 'منخفض، حرج',
    },
    noKnown: {
      all: 'لا توجد حساسية معروفة',
      drug: 'لا توجد حساسية معروفة من الأدوية',
      food: 'لا توجد حساسية غذائية معروفة',
      environment: 'لا توجد حساسية بيئية معروفة',
    },
    noneRecorded: 'لا توجد معلومات مسجلة',
    fhirNote:
      'هذا الملخص متاح أيضاً كملف FHIR (الملخص الدولي للمريض) يمكن لأي نظام سجلات صحية إلكترونية قراءته.',
  },
};

/** ISO 639-2/3 codes (and the macrolanguages' members) of the languages with labels. */
const threeLetter: Record<string, IpsLanguage> = {
  eng: 'en',
  spa: 'es',
  fra: 'fr',
  fre: 'fr',
  deu: 'de',
  ger: 'de',
  por: 'pt',
  ita: 'it',
  vie: 'vi',
  zho: 'zh',
  chi: 'zh',
  cmn: 'zh',
  ara: 'ar',
  arb: 'ar',
};

/** The language's English name, and its own, as a person may have typed it instead of a code. */
const byName: Record<string, IpsLanguage> = {
  english: 'en',
  spanish: 'es',
  español: 'es',
  french: 'fr',
  français: 'fr',
  german: 'de',
  deutsch: 'de',
  portuguese: 'pt',
  português: 'pt',
  italian: 'it',
  italiano: 'it',
  vietnamese: 'vi',
  'tiếng việt': 'vi',
  chinese: 'zh',
  mandarin: 'zh',
  中文: 'zh',
  arabic: 'ar',
  العربية: 'ar',
};

function isIpsLanguage(code: string): code is IpsLanguage {
  return (ipsLanguages as readonly string[]).includes(code);
}

/** A language's English name ("Korean" for "ko"), or what was recorded when it has none. */
export function languageName(recorded: string): string {
  const tag = recorded.trim();
  try {
    const name = new Intl.DisplayNames(['en'], { type: 'language' }).of(tag);
    if (name) return name;
  } catch {
    // Not a language tag (a name typed in): shown as typed.
  }
  return tag;
}

/**
 * The labels a patient's language setting gets: a BCP 47 tag or ISO 639 code ("es",
 * "es-MX", "spa", "ita") by its primary subtag, or the language's name. With no labels for
 * it (or no language recorded), English, and `missing` names the language for a notice.
 */
export function ipsLanguageFor(recorded: string | null | undefined): {
  language: IpsLanguage;
  missing: string | null;
} {
  const tag = (recorded ?? '').trim();
  if (!tag) return { language: 'en', missing: null };
  const lower = tag.toLowerCase();
  const primary = lower.split(/[-_]/)[0] ?? '';
  const found = isIpsLanguage(primary)
    ? primary
    : Object.hasOwn(threeLetter, primary)
      ? threeLetter[primary]
      : Object.hasOwn(byName, lower)
        ? byName[lower]
        : null;
  return found
    ? { language: found, missing: null }
    : { language: 'en', missing: languageName(tag) };
}

/**
 * The locale dates are written in for these labels: the patient's own tag when it is the
 * same language and a valid locale ("es-MX" writes dates the Mexican way), else the labels'.
 */
export function ipsLocale(language: IpsLanguage, recorded: string | null | undefined): string {
  const own = ipsLabels[language].locale;
  const tag = (recorded ?? '').trim();
  if (!tag || ipsLanguageFor(tag).language !== language || language === 'ar') return own;
  if (!/^[a-z]{2}(-[a-z0-9]{2,8})+$/i.test(tag)) return own;
  try {
    return Intl.DateTimeFormat.supportedLocalesOf([tag]).length > 0 ? tag : own;
  } catch {
    return own;
  }
}
