import type { Kysely } from 'kysely';
import type { Database, FieldType } from '../db/schema.js';
import { invalidParams } from '../http/errors.js';
import { actingUser, getChannel, instant, type Caller } from './access.js';
import type { Selection } from './counts/count-deltas.js';
import * as repo from './repository.js';
import type { FieldValue, ReportBody } from './schemas.js';

/** Field types whose values are options; only single-choice ones have per-option analytics. */
export const CHOICE_TYPES: ReadonlySet<FieldType> = new Set(['Category', 'DropDown', 'Radio', 'Checkbox']);

/** A report's checked values: the row's two value columns, and its choices (for the counts). */
interface CheckedValues extends Pick<repo.ReportRow, 'field_values' | 'option_ids'> {
  selections: readonly Selection[];
}

/** A form's fields by id, and each choice field's options by value: what checking a report needs. */
interface FormShape {
  form: repo.FormRow;
  fields: Map<number, repo.FieldRow>;
  options: Map<number, Map<string, repo.OptionRow>>;
}

async function loadFormShape(db: Kysely<Database>, form: repo.FormRow): Promise<FormShape> {
  const { fields, options } = await repo.fieldsOfForms(db, [form.id]);
  const byField = new Map<number, Map<string, repo.OptionRow>>();
  for (const option of options)
    (byField.get(option.field_id) ?? byField.set(option.field_id, new Map()).get(option.field_id)!).set(
      option.value,
      option,
    );
  return { form, fields: new Map(fields.map((f) => [f.id, f])), options: byField };
}

/**
 * Checks `values` against the form: each key a field of it, each value of that field's type. The
 * row's JSON columns are written as text directly (an import checks a report every few µs).
 */
function checkValues(shape: FormShape, given: Record<string, FieldValue>): CheckedValues {
  let fieldValues = '';
  let optionIds = '';
  const selections: Selection[] = [];
  for (const key in given) {
    const value = given[key]!;
    const field = shape.fields.get(Number(key));
    // The id as written ("7", not "07" or "7.0"): two spellings of one field would count it twice.
    if (!field || String(field.id) !== key)
      throw invalidParams(`values.${key}: not a field of form ${shape.form.id}`, { field: `values.${key}` });
    if (CHOICE_TYPES.has(field.field_type)) {
      const checkbox = field.field_type === 'Checkbox';
      if (checkbox ? !Array.isArray(value) || value.some((v) => typeof v !== 'string') : typeof value !== 'string') {
        throw invalidParams(
          `values.${key}: a ${field.field_type} field takes ${checkbox ? 'an array of option values' : 'one option value'}`,
          { field: `values.${key}` },
        );
      }
      for (const v of checkbox ? new Set(value as string[]) : [value as string]) {
        const option = shape.options.get(field.id)?.get(v);
        if (!option)
          throw invalidParams(`values.${key}: "${v}" is not an option of field ${field.id}`, {
            field: `values.${key}`,
          });
        selections.push({ field_id: field.id, option_id: option.id });
        optionIds += optionIds === '' ? option.id : `,${option.id}`;
      }
      continue;
    }
    const ok =
      field.field_type === 'Number'
        ? typeof value === 'number' && Number.isFinite(value)
        : field.field_type === 'Date'
          ? typeof value === 'string' && Number.isFinite(Date.parse(value))
          : typeof value === 'string';
    if (!ok)
      throw invalidParams(
        `values.${key}: a ${field.field_type} field takes a ${field.field_type === 'Date' ? 'date (ISO 8601)' : field.field_type === 'Number' ? 'number' : 'string'}`,
        { field: `values.${key}` },
      );
    // Field ids are integers, so for…in gave them in ascending order, as JSON.stringify would.
    fieldValues += `${fieldValues === '' ? '{' : ','}"${field.id}":${JSON.stringify(value)}`;
  }
  return {
    field_values: fieldValues === '' ? null : `${fieldValues}}`,
    option_ids: optionIds === '' ? null : `[${optionIds}]`,
    selections,
  };
}

/** A checked report, ready to insert: its row (without id) and its choices. */
export interface CheckedReport {
  row: Omit<repo.ReportRow, 'id'>;
  selections: readonly Selection[];
}

const NO_VALUES: CheckedValues = { field_values: null, option_ids: null, selections: [] };

type Lookup<V> =
  { state: 'loading'; promise: Promise<void> } | { state: 'done'; value: V } | { state: 'failed'; error: unknown };

/**
 * Checks report bodies for one caller: channel visible, form of that channel, state and user of
 * its account, values against the form. Lookups are remembered, so an import of many reports in
 * a few channels reads each channel, form, state and user once; once they are known a report is
 * checked synchronously (no promise per report: an import checks hundreds of thousands).
 */
export class ReportChecker {
  private readonly channels = new Map<number, Lookup<repo.NamedRow>>();
  private readonly forms = new Map<number, Lookup<FormShape | undefined>>();
  private readonly states = new Map<number, Lookup<repo.NamedRow | undefined>>();
  private readonly users = new Map<string, Lookup<number>>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly caller: Caller,
  ) {}

  /** The checked report, at once when every lookup it needs is known, else a promise of it. */
  check(body: ReportBody, nowMs = Date.now()): CheckedReport | Promise<CheckedReport> {
    const loading = this.startLookups(body);
    if (loading.length > 0) return Promise.all(loading).then(() => this.check(body, nowMs));
    return this.checkKnown(body, nowMs);
  }

  /** Starts the lookups `body` needs that are not known yet, and returns them (none: all known). */
  private startLookups(body: ReportBody): Promise<void>[] {
    const loading: Promise<void>[] = [];
    const need = <K, V>(cache: Map<K, Lookup<V>>, key: K, load: () => Promise<V>) => {
      const known = cache.get(key);
      if (known?.state === 'loading') loading.push(known.promise);
      if (known) return;
      const promise = load().then(
        (value) => void cache.set(key, { state: 'done', value }),
        (error: unknown) => void cache.set(key, { state: 'failed', error }),
      );
      cache.set(key, { state: 'loading', promise });
      loading.push(promise);
    };
    need(this.channels, body.channel_id, () => getChannel(this.db, this.caller, body.channel_id));
    const formId = body.form_id;
    if (formId !== undefined)
      need(this.forms, formId, async () => {
        const form = await repo.findForm(this.db, formId);
        return form ? loadFormShape(this.db, form) : undefined;
      });
    const stateId = body.state_id;
    if (stateId !== undefined) need(this.states, stateId, () => repo.findNamed(this.db, 'states', stateId));
    // The acting user is checked in the channel's account: known once the channel is.
    const channel = this.channels.get(body.channel_id);
    if (channel?.state === 'done') {
      const accountId = channel.value.account_id;
      need(this.users, `${accountId}:${body.user_id ?? ''}`, () =>
        actingUser(this.db, this.caller, accountId, body.user_id, 'manage-reports'),
      );
    }
    return loading;
  }

  /** A lookup's value, or its error (a failed lookup stays failed: the same error for every line). */
  private known<K, V>(cache: Map<K, Lookup<V>>, key: K): V {
    const known = cache.get(key);
    if (known?.state === 'done') return known.value;
    if (known?.state === 'failed') throw known.error;
    throw new Error(`lookup ${String(key)} is not loaded`); // startLookups loads everything first
  }

  private checkKnown(body: ReportBody, nowMs: number): CheckedReport {
    const channel = this.known(this.channels, body.channel_id);
    const createdAt = instant(body.created_at, 'created_at', nowMs);
    if (body.values && Object.keys(body.values).length > 0 && body.form_id === undefined)
      throw invalidParams('values need a form_id', { field: 'form_id' });
    let shape: FormShape | undefined;
    if (body.form_id !== undefined) {
      const formId = body.form_id;
      shape = this.known(this.forms, formId);
      if (!shape || shape.form.channel_id !== channel.id)
        throw invalidParams(`form_id ${formId} is not a form of channel ${channel.id}`, { field: 'form_id' });
    }
    if (body.state_id !== undefined) {
      const stateId = body.state_id;
      const state = this.known(this.states, stateId);
      if (!state || state.account_id !== channel.account_id)
        throw invalidParams(`state_id ${stateId} is not a state of this account`, { field: 'state_id' });
    }
    const userId = this.known(this.users, `${channel.account_id}:${body.user_id ?? ''}`);
    const { field_values, option_ids, selections } = shape ? checkValues(shape, body.values ?? {}) : NO_VALUES;
    return {
      row: {
        account_id: channel.account_id,
        channel_id: channel.id,
        form_id: body.form_id ?? null,
        user_id: userId,
        state_id: body.state_id ?? null,
        created_at: createdAt,
        field_values,
        option_ids,
      },
      selections,
    };
  }
}
