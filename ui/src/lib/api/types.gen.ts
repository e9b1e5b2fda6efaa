// PLACEHOLDER, written by hand until the lead's `chartkeep ui-types` lands on main.
// Same shape as the generated file will have (named request/response types, `Commands`,
// `CommandName`, `ErrorCode`), holding only what the UI core uses. Replace it wholesale with
// `chartkeep ui-types > ui/src/lib/api/types.gen.ts`; never edit the generated file.

export type Uuid = string;
/** A calendar date, YYYY-MM-DD. */
export type Date = string;
/** A JSON list or object. */
export type Structured = unknown[] | { [key: string]: unknown };

export type PracticeState = 'none' | 'locked' | 'open';
export type KeyModeName = 'keychain' | 'passphrase';

export interface SessionInfo {
  user: string;
  display_name: string;
  role: string;
  workstation: string;
  idle_lock_minutes: number;
  permissions: string[];
}

export interface SessionStatus extends SessionInfo {
  locked: boolean;
}

export interface AppStatus {
  folder: string;
  state: PracticeState;
  key_mode: KeyModeName | null;
  keychain_available: boolean;
  practice_id: string | null;
  version: string;
  session: SessionStatus | null;
}

export interface CreatePractice {
  admin_name: string;
  admin_password: string;
  passphrase?: string | null;
}
export interface PracticeCreated {
  recovery_code: string;
  key_mode: KeyModeName;
}
export interface Unlock {
  passphrase?: string | null;
}
export interface Restore {
  backup_file: string;
  recovery_code?: string | null;
  passphrase?: string | null;
}
export interface OpenFolder {
  folder: string;
}
export interface Login {
  user: string;
  password: string;
}
export interface Resume {
  password: string;
}
export interface BackupTo {
  file: string;
}
export interface BackupWritten {
  file: string;
  bytes: number;
}
export type Done = Record<string, never>;
export type NoArgs = Record<string, never>;

export interface RecordId {
  id: Uuid;
}
export interface RecordList {
  patient: Uuid;
  include_retracted?: boolean;
}
export interface RecordRetract {
  id: Uuid;
  reason: string;
  version?: Uuid[];
}
export interface PatientArg {
  patient: Uuid;
}

export type Sex = 'female' | 'male' | 'other' | 'unknown';
export type PatientStatus = 'active' | 'inactive' | 'deceased';

export interface PatientSearch {
  query: string;
  limit?: number | null;
}
export interface Hit {
  id: Uuid;
  name: string;
  birth_date?: Date | null;
  family?: string | null;
  given?: Structured | null;
  mrn?: string | null;
  phones?: Structured | null;
  preferred?: string | null;
  sex?: Sex | null;
  status?: PatientStatus | null;
}

interface RecordMeta {
  id: Uuid;
  created_at: number;
  created_by: string;
  created_change: Uuid;
  updated_at: number;
  updated_by: string;
  retracted: boolean;
  retract_reason?: string | null;
  version?: Uuid[] | null;
}

export interface PatientFields {
  address?: Structured | null;
  birth_date?: Date | null;
  deceased_date?: Date | null;
  email?: string | null;
  emergency_contact?: Structured | null;
  family?: string | null;
  gender_identity?: string | null;
  given?: Structured | null;
  identifiers?: Structured | null;
  language?: string | null;
  mrn?: string | null;
  phones?: Structured | null;
  preferred?: string | null;
  sex?: Sex | null;
  status?: PatientStatus | null;
}
export interface PatientView extends PatientFields, RecordMeta {
  name: string;
}

export type AllergyCategory = 'medication' | 'food' | 'environment' | 'biologic';
export type AllergyCriticality = 'low' | 'high' | 'unable-to-assess';
export type AllergySeverity = 'mild' | 'moderate' | 'severe';
export type AllergyStatus = 'active' | 'inactive' | 'resolved';

export interface AllergyFields {
  category?: AllergyCategory | null;
  code?: string | null;
  criticality?: AllergyCriticality | null;
  no_known?: boolean | null;
  note?: string | null;
  onset_date?: Date | null;
  reactions?: Structured | null;
  severity?: AllergySeverity | null;
  status?: AllergyStatus | null;
  substance?: string | null;
}
export interface AllergyAdd extends AllergyFields {
  patient: Uuid;
}
export interface AllergyUpdate extends AllergyFields {
  id: Uuid;
  version: Uuid[];
}
export interface AllergyRecord extends AllergyFields, RecordMeta {
  patient?: Uuid | null;
}

export interface HistoryEntry {
  at: string;
  author: string;
  author_name: string;
  change: string;
  device: string;
  fields: { [key: string]: unknown };
  op: string;
}

export interface ProblemRecord extends RecordMeta {
  code?: string | null;
  display?: string | null;
  note?: string | null;
  onset_date?: Date | null;
  patient?: Uuid | null;
  resolved_date?: Date | null;
  status?: 'active' | 'inactive' | 'resolved' | 'remission' | null;
}
export interface MedicationRecord extends RecordMeta {
  name?: string | null;
  dose?: string | null;
  frequency?: string | null;
  route?: string | null;
  reason?: string | null;
  status?: 'active' | 'stopped' | 'completed' | 'on-hold' | null;
  start_date?: Date | null;
  stop_date?: Date | null;
  patient?: Uuid | null;
}
export interface ImmunizationRecord extends RecordMeta {
  vaccine?: string | null;
  cvx?: string | null;
  date?: Date | null;
  dose_number?: number | null;
  status?: 'completed' | 'refused' | 'historical' | 'not-done' | null;
  patient?: Uuid | null;
}
export interface NoteRecord extends RecordMeta {
  title?: string | null;
  kind?: 'soap' | 'free' | null;
  status?: string | null;
  signed_at?: string | null;
  signed_by?: string | null;
  patient?: Uuid | null;
}
export interface OrderRecord extends RecordMeta {
  description?: string | null;
  kind?: 'lab' | 'imaging' | 'referral' | null;
  status?: 'ordered' | 'in-progress' | 'completed' | 'cancelled' | null;
  ordered_at?: string | null;
  patient?: Uuid | null;
}
export interface EncounterRecord extends RecordMeta {
  start?: string | null;
  type?: string | null;
  reason?: string | null;
  status?: 'planned' | 'in-progress' | 'finished' | 'cancelled' | null;
  patient?: Uuid | null;
}
export interface Latest {
  code: string;
  display?: string | null;
  effective?: string | null;
  flag?: string | null;
  id: string;
  unit?: string | null;
  value_num?: number | null;
  value_text?: string | null;
}
export interface Summary {
  allergies: AllergyRecord[];
  coverages: unknown[];
  encounters: EncounterRecord[];
  family_history: unknown[];
  hospitalizations: unknown[];
  immunizations: ImmunizationRecord[];
  labs: Latest[];
  medications: MedicationRecord[];
  no_known_allergies: boolean;
  notes: NoteRecord[];
  open_conflicts: number;
  orders: OrderRecord[];
  patient: PatientView;
  problems: ProblemRecord[];
  social_history: unknown[];
  surgical_history: unknown[];
  vitals: Latest[];
}

export interface Commands {
  'app.status': { request: NoArgs; response: AppStatus };
  'app.create': { request: CreatePractice; response: PracticeCreated };
  'app.unlock': { request: Unlock; response: AppStatus };
  'app.restore': { request: Restore; response: AppStatus };
  'app.open_folder': { request: OpenFolder; response: AppStatus };
  'app.login': { request: Login; response: SessionInfo };
  'app.lock': { request: NoArgs; response: Done };
  'app.resume': { request: Resume; response: SessionInfo };
  'app.logout': { request: NoArgs; response: Done };
  'app.backup': { request: BackupTo; response: BackupWritten };
  'session.info': { request: NoArgs; response: SessionInfo };
  'patient.search': { request: PatientSearch; response: Hit[] };
  'patient.create': { request: PatientFields; response: PatientView };
  'patient.get': { request: RecordId; response: PatientView };
  'chart.summary': { request: PatientArg; response: Summary };
  'allergy.add': { request: AllergyAdd; response: AllergyRecord };
  'allergy.get': { request: RecordId; response: AllergyRecord };
  'allergy.history': { request: RecordId; response: HistoryEntry[] };
  'allergy.list': { request: RecordList; response: AllergyRecord[] };
  'allergy.none': { request: PatientArg; response: AllergyRecord };
  'allergy.retract': { request: RecordRetract; response: AllergyRecord };
  'allergy.update': { request: AllergyUpdate; response: AllergyRecord };
}

export type CommandName = keyof Commands;

export type ErrorCode =
  | 'invalid_input'
  | 'invalid_code'
  | 'malformed_json'
  | 'unknown_command'
  | 'not_found'
  | 'record_immutable'
  | 'too_large'
  | 'forbidden'
  | 'wrong_password'
  | 'account_disabled'
  | 'session_locked'
  | 'login_throttled'
  | 'storage_error'
  | 'practice_missing'
  | 'practice_exists'
  | 'folder_not_empty'
  | 'passphrase_needed'
  | 'wrong_secret'
  | 'malformed_recovery_code'
  | 'key_not_in_keychain'
  | 'keychain_unavailable'
  | 'keychain_locked'
  | 'backup_damaged'
  | 'io_error'
  | 'internal_error';
