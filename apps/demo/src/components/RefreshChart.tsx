const WIDTH = 300
const HEIGHT = 80
const GAP = 2

/**
 * Refreshes per minute as bars, in plain SVG: the oldest minute on the left, the current one on
 * the right. The numbers are in the accessible label too.
 */
export function RefreshChart({ counts }: { counts: readonly number[] }) {
  const peak = Math.max(0, ...counts)
  const max = Math.max(1, peak)
  const barWidth = counts.length > 0 ? WIDTH / counts.length : WIDTH
  const current = counts.at(-1) ?? 0
  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={`Refreshes per minute over the last ${counts.length} minutes: ${counts.join(', ')}`}
        preserveAspectRatio="none"
      >
        <line x1="0" y1={HEIGHT - 0.5} x2={WIDTH} y2={HEIGHT - 0.5} className="chart-axis" />
        {counts.map((count, i) => {
          const height = (count / max) * (HEIGHT - 8)
          return (
            <rect
              key={i}
              x={i * barWidth + GAP / 2}
              y={HEIGHT - height}
              width={Math.max(1, barWidth - GAP)}
              height={height}
              className={i === counts.length - 1 ? 'chart-bar chart-bar-current' : 'chart-bar'}
            >
              <title>{`${count} refresh${count === 1 ? '' : 'es'}, ${counts.length - 1 - i} min ago`}</title>
            </rect>
          )
        })}
      </svg>
      <figcaption className="chart-caption">
        <span>{counts.length} min ago</span>
        <span>
          peak {peak}/min · now {current}/min
        </span>
      </figcaption>
    </figure>
  )
}
