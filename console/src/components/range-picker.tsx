import { useMemo } from 'preact/hooks';
import { addDays, browserZone, localDate, timeZones } from '../time';

export interface Range {
  start: string;
  end: string;
  tz: string;
}

/** Presets end today (in the chosen zone), inclusive. */
export function presets(zone: string, now = Date.now()): { id: string; label: string; range: Range }[] {
  const today = localDate(now, zone);
  const [y, m] = today.split('-');
  return [
    { id: '7d', label: 'Last 7 days', range: { start: addDays(today, -6), end: today, tz: zone } },
    { id: '30d', label: 'Last 30 days', range: { start: addDays(today, -29), end: today, tz: zone } },
    { id: '90d', label: 'Last 90 days', range: { start: addDays(today, -89), end: today, tz: zone } },
    { id: 'month', label: 'This month', range: { start: `${y}-${m}-01`, end: today, tz: zone } },
    { id: 'year', label: 'This year', range: { start: `${y}-01-01`, end: today, tz: zone } },
  ];
}

export const defaultRange = (): Range => presets(browserZone())[1]!.range;

export function RangePicker({ range, onChange }: { range: Range; onChange: (range: Range) => void }) {
  const zones = useMemo(timeZones, []);
  const options = presets(range.tz);
  const current = options.find((p) => p.range.start === range.start && p.range.end === range.end)?.id ?? 'custom';
  return (
    <form class="range" onSubmit={(e) => e.preventDefault()} aria-label="Period and time zone">
      <label>
        Period
        <select
          aria-label="Period"
          value={current}
          onChange={(e) => {
            const preset = options.find((p) => p.id === e.currentTarget.value);
            if (preset) onChange(preset.range);
          }}
        >
          {options.map((p) => (
            <option key={p.id} value={p.id}>
              {p.label}
            </option>
          ))}
          <option value="custom">Custom</option>
        </select>
      </label>
      <label>
        From
        <input
          type="date"
          value={range.start}
          max={range.end}
          onChange={(e) => e.currentTarget.value && onChange({ ...range, start: e.currentTarget.value })}
        />
      </label>
      <label>
        To
        <input
          type="date"
          value={range.end}
          min={range.start}
          onChange={(e) => e.currentTarget.value && onChange({ ...range, end: e.currentTarget.value })}
        />
      </label>
      <label>
        Time zone
        <select
          aria-label="Time zone"
          value={range.tz}
          onChange={(e) => {
            // A preset stays that preset in the new zone ("last 30 days" ends today there).
            const tz = e.currentTarget.value;
            onChange(presets(tz).find((p) => p.id === current)?.range ?? { ...range, tz });
          }}
        >
          {(zones.includes(range.tz) ? zones : [range.tz, ...zones]).map((z) => (
            <option key={z} value={z}>
              {z}
            </option>
          ))}
        </select>
      </label>
    </form>
  );
}
