// What a framer is: it cuts a byte stream (a serial port, a file, a socket) into frames, and hands
// out every byte that is not part of a good frame as bad bytes with a reason. How the stream was
// cut into chunks changes nothing: the same bytes give the same frames and the same bad pieces.
export interface FrameSinks {
  /** `line`: the number (from 1) of the line the frame starts on, from framers that count lines. */
  frame(bytes: Uint8Array, line?: number): void;
  /** Bytes that are not (part of) a good frame, with why. */
  bad(bytes: Uint8Array, reason: string): void;
}

export interface Framer {
  push(chunk: Uint8Array, sinks: FrameSinks): void;
  /** Hands out what is left (the port closed mid-frame) and starts afresh. */
  end(sinks: FrameSinks, why: string): void;
}
