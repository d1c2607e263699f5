/**
 * A short alarm beep made with WebAudio: no audio files to serve, nothing for the CSP
 * to allow. Browsers start an AudioContext only after a user gesture, so the context is
 * created (or resumed) on the first click or key press on the page; until then a beep
 * is skipped and `ready()` says so, and the console shows a hint.
 */
let ctx = null;
let enabled = true;

function context() {
  const Ctor = globalThis.AudioContext ?? globalThis.webkitAudioContext;
  if (!Ctor) return null;
  ctx ??= new Ctor();
  return ctx;
}

/** Creates or resumes the audio context; call from a user gesture. */
export async function unlock() {
  const c = context();
  if (c && c.state !== 'running') await c.resume().catch(() => undefined);
  return ready();
}

export const ready = () => Boolean(ctx && ctx.state === 'running');
export const isEnabled = () => enabled;
export function setEnabled(on) {
  enabled = Boolean(on);
}

/**
 * Plays `count` tones of `ms` each. A square-ish timbre at 880 Hz cuts through a quiet
 * courtroom without being shrill; a gain envelope avoids clicks.
 */
export function beep({ frequency = 880, ms = 160, count = 2, gap = 90, volume = 0.2 } = {}) {
  if (!enabled || !ready()) return false;
  const c = ctx;
  let at = c.currentTime + 0.01;
  for (let i = 0; i < count; i++) {
    const osc = c.createOscillator();
    const gain = c.createGain();
    osc.type = 'triangle';
    osc.frequency.setValueAtTime(frequency, at);
    gain.gain.setValueAtTime(0, at);
    gain.gain.linearRampToValueAtTime(volume, at + 0.01);
    gain.gain.setValueAtTime(volume, at + ms / 1000 - 0.02);
    gain.gain.linearRampToValueAtTime(0, at + ms / 1000);
    osc.connect(gain).connect(c.destination);
    osc.start(at);
    osc.stop(at + ms / 1000 + 0.01);
    at += (ms + gap) / 1000;
  }
  return true;
}

/** Unlocks audio on the first gesture anywhere on the page. */
export function unlockOnFirstGesture(onUnlocked) {
  const doc = globalThis.document;
  const handler = async () => {
    if (await unlock()) {
      doc.removeEventListener('pointerdown', handler, true);
      doc.removeEventListener('keydown', handler, true);
      onUnlocked?.();
    }
  };
  doc.addEventListener('pointerdown', handler, true);
  doc.addEventListener('keydown', handler, true);
}
