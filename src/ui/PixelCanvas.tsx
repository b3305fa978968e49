// A decoded image (RGBA pixels) drawn pixelated at a scale, with its caption: the MTM view's and
// the augmentation lab's pictures. With `cell`, the token grid is drawn over it: a line at every
// cell boundary, so what an augmentation does to whole tokens shows.
import { useEffect, useRef } from 'react';

/** Light blue, mostly opaque: visible over the black background and the bright garments alike. */
const GRID_COLOR = 'rgba(64, 170, 255, 0.75)';

export function PixelCanvas({ rgba, width, height, scale, label, cell }: { rgba: Uint8ClampedArray; width: number; height: number; scale: number; label: string; cell?: number }) {
  const ref = useRef<HTMLCanvasElement>(null);
  // The grid's lines are thinner than an image pixel, so a gridded canvas is drawn at the displayed size.
  const k = cell ? scale : 1;
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx) return;
    const image = new ImageData(new Uint8ClampedArray(rgba), width, height);
    if (!cell) {
      ctx.putImageData(image, 0, 0);
      return;
    }
    const pixels = document.createElement('canvas');
    pixels.width = width;
    pixels.height = height;
    pixels.getContext('2d')!.putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(pixels, 0, 0, width * k, height * k);
    ctx.strokeStyle = GRID_COLOR;
    ctx.lineWidth = 1;
    ctx.beginPath();
    // Half-pixel offsets put each 1-pixel line on whole device pixels.
    for (let x = cell; x < width; x += cell) {
      ctx.moveTo(x * k + 0.5, 0);
      ctx.lineTo(x * k + 0.5, height * k);
    }
    for (let y = cell; y < height; y += cell) {
      ctx.moveTo(0, y * k + 0.5);
      ctx.lineTo(width * k, y * k + 0.5);
    }
    ctx.stroke();
  }, [rgba, width, height, cell, k]);
  return (
    <figure>
      <canvas ref={ref} role="img" width={width * k} height={height * k} style={{ width: width * scale, imageRendering: 'pixelated' }} aria-label={label} />
      <figcaption className="muted small">{label}</figcaption>
    </figure>
  );
}
