import type { Component } from 'svelte';
import type { CommandName } from '../../lib/api/types.gen';
import type { Permission } from '../../lib/state/permissions';
import AllergiesSection from './allergies/AllergiesSection.svelte';
import CoverageSection from './coverage/CoverageSection.svelte';
import DemographicsSection from './demographics/DemographicsSection.svelte';
import EncountersSection from './encounters/EncountersSection.svelte';
import FamilyHistorySection from './family-history/FamilyHistorySection.svelte';
import HospitalizationsSection from './hospitalizations/HospitalizationsSection.svelte';
import ImmunizationsSection from './immunizations/ImmunizationsSection.svelte';
import LabsSection from './labs/LabsSection.svelte';
import MedicationsSection from './medications/MedicationsSection.svelte';
import OrdersSection from './orders/OrdersSection.svelte';
import ProblemsSection from './problems/ProblemsSection.svelte';
import ProceduresSection from './procedures/ProceduresSection.svelte';
import SocialHistorySection from './social-history/SocialHistorySection.svelte';
import TrendsSection from './trends/TrendsSection.svelte';
import VitalsSection from './vitals/VitalsSection.svelte';
import SummaryPage from './SummaryPage.svelte';
import NotesSection from '../notes/NotesSection.svelte';
import TimelineSection from './timeline/TimelineSection.svelte';
import DocumentsSection from './documents/DocumentsSection.svelte';
import PrintSection from '../print/PrintSection.svelte';
import ExportSection from './export/ExportSection.svelte';
import ImportedSection from './imported/ImportedSection.svelte';

/** What every chart section component receives. */
export interface SectionProps {
  patient: string;
}

/**
 * The chart's sections, in nav order. A new record kind adds one entry here (and its
 * folder under components/chart/), following allergies/: a list with add, edit, retract
 * with a reason and per-field history. A section the role may not read is left out.
 */
export interface ChartSection {
  id: string;
  label: string;
  permission: Permission;
  component: Component<SectionProps>;
  /**
   * When given, the section shows if the session may run this command (any of its
   * generated permissions: billing reads problems and encounters without `read_chart`).
   */
  command?: CommandName;
}

export const chartSections: ChartSection[] = [
  { id: 'summary', label: 'Summary', permission: 'read_chart', component: SummaryPage },
  { id: 'allergies', label: 'Allergies', permission: 'read_chart', component: AllergiesSection },
  {
    id: 'problems',
    label: 'Problems',
    permission: 'read_chart',
    command: 'problem.list',
    component: ProblemsSection,
  },
  {
    id: 'medications',
    label: 'Medications',
    permission: 'read_chart',
    component: MedicationsSection,
  },
  {
    id: 'immunizations',
    label: 'Immunizations',
    permission: 'read_chart',
    component: ImmunizationsSection,
  },
  { id: 'vitals', label: 'Vitals', permission: 'read_chart', component: VitalsSection },
  { id: 'labs', label: 'Labs', permission: 'read_chart', component: LabsSection },
  { id: 'trends', label: 'Trends', permission: 'read_chart', component: TrendsSection },
  {
    id: 'encounters',
    label: 'Encounters',
    permission: 'read_chart',
    command: 'encounter.list',
    component: EncountersSection,
  },
  { id: 'orders', label: 'Orders and results', permission: 'read_chart', component: OrdersSection },
  { id: 'procedures', label: 'Procedures', permission: 'read_chart', component: ProceduresSection },
  {
    id: 'hospitalizations',
    label: 'Hospitalizations',
    permission: 'read_chart',
    component: HospitalizationsSection,
  },
  {
    id: 'family-history',
    label: 'Family history',
    permission: 'read_chart',
    component: FamilyHistorySection,
  },
  {
    id: 'social-history',
    label: 'Social history',
    permission: 'read_chart',
    component: SocialHistorySection,
  },
  {
    id: 'demographics',
    label: 'Demographics',
    permission: 'demographics',
    command: 'patient.get',
    component: DemographicsSection,
  },
  {
    id: 'insurance',
    label: 'Insurance',
    permission: 'demographics',
    command: 'coverage.list',
    component: CoverageSection,
  },
  { id: 'notes', label: 'Visits and notes', permission: 'read_chart', component: NotesSection },
  { id: 'timeline', label: 'Timeline', permission: 'read_chart', component: TimelineSection },
  { id: 'documents', label: 'Documents', permission: 'read_chart', component: DocumentsSection },
  {
    id: 'imported',
    label: 'Other imported records',
    permission: 'read_chart',
    command: 'imported.list',
    component: ImportedSection,
  },
  { id: 'print', label: 'Print', permission: 'read_chart', component: PrintSection },
  {
    id: 'export',
    label: 'Export',
    permission: 'read_chart',
    command: 'export.fhir_patient',
    component: ExportSection,
  },
];
