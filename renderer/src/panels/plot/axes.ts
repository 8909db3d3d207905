// Which y-axis each channel of a plot is drawn against: one axis per unit, labelled with it. A
// channel without a unit gets an axis of its own labelled with its name, so two quantities whose
// units are not known never share an unlabelled scale.

export interface AxisChannel {
  id: number;
  /** What the user calls it (its display name, else its full name). */
  label: string;
  unit: string;
}

export interface PlotAxis {
  /** uPlot scale key. */
  scale: string;
  label: string;
  channels: number[];
}

export function axesFor(channels: readonly AxisChannel[]): PlotAxis[] {
  const axes: PlotAxis[] = [];
  const byUnit = new Map<string, PlotAxis>();
  for (const c of channels) {
    if (c.unit) {
      let axis = byUnit.get(c.unit);
      if (!axis) {
        axis = { scale: `y:unit:${c.unit}`, label: c.unit, channels: [] };
        byUnit.set(c.unit, axis);
        axes.push(axis);
      }
      axis.channels.push(c.id);
    } else {
      axes.push({ scale: `y:channel:${c.id}`, label: `${c.label} (no unit)`, channels: [c.id] });
    }
  }
  return axes;
}

/** The scale a channel is drawn on. */
export function scaleOf(axes: readonly PlotAxis[], channel: number): string {
  return axes.find((a) => a.channels.includes(channel))?.scale ?? 'y';
}
