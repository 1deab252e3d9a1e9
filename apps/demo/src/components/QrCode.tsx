import { useMemo } from 'react'
import { renderSVG } from 'uqr'

/**
 * `value` as a QR code: uqr's SVG shown as an image. A `data:` URL rather than inline markup,
 * because the page's Content-Security-Policy allows `data:` images and no inline styles.
 */
export function QrCode({ value, label }: { value: string; label: string }) {
  const src = useMemo(
    () =>
      `data:image/svg+xml;charset=utf-8,${encodeURIComponent(renderSVG(value, { pixelSize: 5 }))}`,
    [value],
  )
  return <img src={src} alt={label} className="qr-code" width={200} height={200} />
}
