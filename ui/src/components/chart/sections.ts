import type { Component } from 'svelte';
import type { Permission } from '../../lib/state/permissions';
import AllergiesSection from './allergies/AllergiesSection.svelte';
import SummaryPage from './SummaryPage.svelte';
import NotesSection from '../notes/NotesSection.svelte';
import TimelineSection from './timeline/TimelineSection.svelte';
import DocumentsSection from './documents/DocumentsSection.svelte';
import PrintSection from '../print/PrintSection.svelte';

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
}

export const chartSections: ChartSection[] = [
  { id: 'summary', label: 'Summary', permission: 'read_chart', component: SummaryPage },
  { id: 'allergies', label: 'Allergies', permission: 'read_chart', component: AllergiesSection },
  { id: 'notes', label: 'Visits and notes', permission: 'read_chart', component: NotesSection },
  { id: 'timeline', label: 'Timeline', permission: 'read_chart', component: TimelineSection },
  { id: 'documents', label: 'Documents', permission: 'read_chart', component: DocumentsSection },
  { id: 'print', label: 'Print', permission: 'read_chart', component: PrintSection },
];
