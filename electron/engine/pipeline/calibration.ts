// Per-channel scale and offset (`value = raw * scale + offset`), applied to a batch in place before
// anything stores or plots it. Identity channels cost one array read per sample.

export class Calibration {
  private scale = new Float64Array(0);
  private offset = new Float64Array(0);
  private active = false;

  set(channel: number, scale: number, offset: number): void {
    if (channel >= this.scale.length) {
      const size = Math.max(channel + 1, this.scale.length * 2, 64);
      const s = new Float64Array(size).fill(1);
      s.set(this.scale);
      const o = new Float64Array(size);
      o.set(this.offset);
      this.scale = s;
      this.offset = o;
    }
    this.scale[channel] = scale;
    this.offset[channel] = offset;
    if (scale !== 1 || offset !== 0) this.active = true;
  }

  apply(batch: { n: number; channel: Uint32Array; value: Float64Array }): void {
    if (!this.active) return;
    const { scale, offset } = this;
    const limit = scale.length;
    for (let i = 0; i < batch.n; i++) {
      const c = batch.channel[i]!;
      if (c < limit) batch.value[i] = batch.value[i]! * scale[c]! + offset[c]!;
    }
  }
}
