import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  /** A second series (the previous period) is drawn lighter and dashed. */
  muted?: boolean;
}

interface Props {
  label: string;
  x: number[];
  series: ChartSeries[];
  /** Time axis (x in unix seconds) in this zone; otherwise categories named by `categories`. */
  zone?: string;
  categories?: string[];
  bars?: boolean;
  height?: number;
}

/** Line colours for several series on one chart (a second period is drawn muted instead). */
const PALETTE = ['#2b6cb0', '#c05621', '#2f855a', '#6b46c1', '#b7791f', '#c53030'];

/** A uPlot chart that follows its container's width and is redrawn when its data change. */
export function Chart({ label, x, series, zone, categories, bars, height = 220 }: Props) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current!;
    const options: uPlot.Options = {
      width: Math.max(240, element.clientWidth),
      height,
      legend: { show: series.length > 1 },
      cursor: { drag: { x: false, y: false } },
      // Counts: the y axis starts at 0, so bars and lines are not read against a shifted base.
      // An empty chart still gets an axis up to 1; a small one (a few MiB in GiB) keeps its shape.
      scales: { x: { time: zone !== undefined }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      ...(zone ? { tzDate: (ts: number) => uPlot.tzDate(new Date(ts * 1000), zone) } : {}),
      axes: [categories ? { values: (_u, splits) => splits.map((v) => categories[v] ?? '') } : {}, { size: 50 }],
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: s.muted ? '#9aa5b1' : PALETTE[i % PALETTE.length],
          fill: bars ? (s.muted ? '#cbd2d9' : '#4a90d9') : undefined,
          dash: s.muted && !bars ? [6, 4] : undefined,
          width: 2,
          ...(bars ? { paths: uPlot.paths.bars!({ size: [0.7, 60] }), points: { show: false } } : {}),
        })),
      ],
    };
    const plot = new uPlot(options, [x, ...series.map((s) => s.values)], element);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(240, element.clientWidth), height }));
    resize.observe(element);
    element.dataset.drawn = 'true';
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [x, series, zone, categories, bars, height]);
  // The drawn values, for assistive summaries and for tests (a canvas has no text).
  return (
    <div class="chart" ref={box} role="img" aria-label={label} data-values={JSON.stringify(series[0]?.values ?? [])} />
  );
}
