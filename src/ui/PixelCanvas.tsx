// A decoded image (RGBA pixels) drawn pixelated at a scale, with its caption: the MTM view's and
// the augmentation lab's pictures.
import { useEffect, useRef } from 'react';

export function PixelCanvas({ rgba, width, height, scale, label }: { rgba: Uint8ClampedArray; width: number; height: number; scale: number; label: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    ref.current?.getContext('2d')?.putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
  }, [rgba, width, height]);
  return (
    <figure>
      <canvas ref={ref} role="img" width={width} height={height} style={{ width: width * scale, imageRendering: 'pixelated' }} aria-label={label} />
      <figcaption className="muted small">{label}</figcaption>
    </figure>
  );
}
