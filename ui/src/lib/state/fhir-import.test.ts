import { describe, expect, it } from 'vitest';
import { FakeBackend } from '../api/fake-backend';
import { importReport, waiting } from '../api/fixtures';
import type { FhirImport } from '../api/types.gen';
import { EventBus, type AppEvents } from '../events';
import { FhirImportState, type ImportSource } from './fhir-import.svelte';

function source(name: string, content = `{"name":"${name}"}`): ImportSource {
  return { name, text: () => Promise.resolve(content) };
}

const counts = { mapped: 0, verbatim: 0, duplicate: 0, refused: 0, skipped: 0 };

describe('FhirImportState', () => {
  it('sends Patient NDJSON first, one file at a time, counting files, resources and the rate', async () => {
    let t = 1000;
    const sent: string[] = [];
    const backend = new FakeBackend().on('import.fhir', ({ file }) => {
      sent.push(file);
      t += 500;
      return importReport({ resources: file === 'Patient.ndjson' ? 2 : 8 });
    });
    const state = new FhirImportState({ backend, events: new EventBus<AppEvents>() }, () => t);
    await state.run([source('Condition.ndjson'), source('Patient.ndjson')]);
    expect(sent).toEqual(['Patient.ndjson', 'Condition.ndjson']);
    expect(state.filesDone).toBe(2);
    expect(state.filesTotal).toBe(2);
    expect(state.resources).toBe(10);
    expect(state.rate).toBe(10); // 10 resources in one second
    expect(state.running).toBe(false);
    expect(state.report.files).toBe(2);
    expect(state.held).toBe(0); // nobody waits: no file's text is kept
  });

  it('shows progress while a file is being sent', async () => {
    let release: () => void = () => {};
    const backend = new FakeBackend().on(
      'import.fhir',
      ({ file }) =>
        new Promise((resolve) => {
          if (file === 'Patient.ndjson') resolve(importReport({ resources: 5 }));
          else release = () => resolve(importReport({ resources: 1 }));
        }),
    );
    const state = new FhirImportState({ backend, events: new EventBus<AppEvents>() }, () => 0);
    const run = state.run([source('a.json'), source('Patient.ndjson')]);
    await new Promise((r) => setTimeout(r, 0));
    expect(state.running).toBe(true);
    expect(state.filesDone).toBe(1);
    expect(state.resources).toBe(5);
    expect(state.current).toBe('a.json');
    release();
    await run;
    expect(state.filesDone).toBe(2);
    expect(state.resources).toBe(6);
  });

  it('“Same person” re-sends that file with the decision and updates the report', async () => {
    const calls: FhirImport[] = [];
    const backend = new FakeBackend().on('import.fhir', (args) => {
      calls.push(args);
      if (!args.decisions)
        return importReport({
          resources: 3,
          complete: false,
          types: { Patient: { ...counts, refused: 1 }, Condition: { ...counts, refused: 2 } },
          waiting: [waiting()],
        });
      return importReport({
        resources: 3,
        types: { Patient: { ...counts, mapped: 1 }, Condition: { ...counts, mapped: 2 } },
        patients: [{ patient: 'p1', name: 'Testperson, Ann', new: false, records: 2 }],
      });
    });
    const state = new FhirImportState({ backend, events: new EventBus<AppEvents>() }, () => 0);
    await state.run([source('Patient.ndjson', '{"resourceType":"Patient"}')]);
    expect(state.report.waiting).toHaveLength(1);
    expect(state.held).toBe(1);

    const w = state.report.waiting[0]!;
    await state.decide(w, w.candidates[0]!.patient);
    expect(calls[1]).toEqual({
      file: 'Patient.ndjson',
      content: '{"resourceType":"Patient"}',
      decisions: [{ source: 'Patient/imp-1', patient: 'p1' }],
    });
    expect(state.report.waiting).toEqual([]);
    expect(state.report.types['Condition']).toEqual({ ...counts, mapped: 2 });
    expect(state.report.patients.map((p) => p.patient)).toEqual(['p1']);
    expect(state.held).toBe(0); // settled: the text is let go

    state.done();
    expect(state.hasReport).toBe(false);
  });

  it('“Register as new” sends a null patient; Done forgets the text of a file still waiting', async () => {
    const backend = new FakeBackend().on('import.fhir', () =>
      importReport({ complete: false, waiting: [waiting(), waiting({ source: 'Patient/imp-2' })] }),
    );
    const state = new FhirImportState({ backend, events: new EventBus<AppEvents>() }, () => 0);
    await state.run([source('Patient.ndjson')]);
    await state.decide(state.report.waiting[1]!, null);
    expect(backend.callsOf('import.fhir')[1]).toMatchObject({
      decisions: [{ source: 'Patient/imp-2', patient: null }],
    });
    expect(state.held).toBe(1);
    state.done();
    expect(state.held).toBe(0);
  });

  it('stops the batch on the engine’s refusal and keeps it to show', async () => {
    const backend = new FakeBackend().fail('import.fhir', 'forbidden', 'Not allowed to import.');
    const state = new FhirImportState({ backend, events: new EventBus<AppEvents>() }, () => 0);
    await state.run([source('a.json'), source('b.json')]);
    expect(state.error?.code).toBe('forbidden');
    expect(backend.callsOf('import.fhir')).toHaveLength(1);
    expect(state.running).toBe(false);
  });

  it('sends a lab’s HL7 v2 file to hl7.import and keeps what became of each message', async () => {
    const sent: string[] = [];
    const message = (outcome: 'applied' | 'held', id: string) => ({
      ack: '',
      ack_code: 'AA',
      control_id: id,
      observations: outcome === 'applied' ? ['o1'] : [],
      orders: [],
      outcome,
      mrn: outcome === 'applied' ? '0000042' : null,
      text: outcome === 'held' ? 'no patient matches' : '',
    });
    const backend = new FakeBackend()
      .on('hl7.import', ({ file, content }) => {
        sent.push(`${file}:${content.slice(0, 3)}`);
        return { file, messages: [message('applied', 'LAB-1'), message('held', 'LAB-2')] };
      })
      .on('import.fhir', () => importReport({ resources: 1 }));
    const state = new FhirImportState({ backend, events: new EventBus<AppEvents>() }, () => 0);
    await state.run([source('results.hl7', '\u000bMSH|^~\\&|LAB\rPID|1\r'), source('a.json')]);
    expect(sent).toEqual(['results.hl7:\u000bMS']);
    expect(state.filesDone).toBe(2);
    expect(state.labFiles).toHaveLength(1);
    expect(state.labFiles[0]?.messages.map((m) => m.outcome)).toEqual(['applied', 'held']);
    expect(state.hasReport).toBe(true);
    state.done();
    expect(state.labFiles).toHaveLength(0);
  });
});
