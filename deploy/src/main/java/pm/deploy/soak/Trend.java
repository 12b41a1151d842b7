package pm.deploy.soak;

import java.util.List;

/**
 * The stability verdict over one series of samples (heap after GC, or open file descriptors), split
 * by time into thirds: the first is warm-up (JIT, class loading, pools filling) and not judged. The
 * <em>floor</em> of a third is its smallest sample: garbage and in-flight work come and go above it,
 * what is retained raises it. The series is <b>stable</b> iff
 * {@code floor(last third) <= floor(middle third) + slack}, with
 * {@code slack = max(absoluteSlack, relativeSlack * floor(middle third))}. The least-squares slope
 * of the last third is printed beside it for the reader, not judged. Fewer than two samples in the
 * middle or last third: no verdict.
 */
public record Trend(
        int samples,
        double start,
        double end,
        double max,
        double floorMiddle,
        double floorLast,
        double slack,
        double lastThirdSlopePerMinute,
        boolean judged,
        boolean stable) {

    /** One timed value. */
    public record Point(long atMillis, double value) {}

    public static Trend of(List<Point> series, double absoluteSlack, double relativeSlack) {
        List<Point> points =
                series.stream().filter(p -> !Double.isNaN(p.value())).toList();
        if (points.isEmpty()) {
            return new Trend(
                    0,
                    Double.NaN,
                    Double.NaN,
                    Double.NaN,
                    Double.NaN,
                    Double.NaN,
                    Double.NaN,
                    Double.NaN,
                    false,
                    false);
        }
        long t0 = points.get(0).atMillis();
        long span = points.get(points.size() - 1).atMillis() - t0;
        long middleFrom = t0 + span / 3;
        long lastFrom = t0 + 2 * span / 3;
        List<Point> middle = points.stream()
                .filter(p -> p.atMillis() >= middleFrom && p.atMillis() < lastFrom)
                .toList();
        List<Point> last = points.stream().filter(p -> p.atMillis() >= lastFrom).toList();
        double max = points.stream().mapToDouble(Point::value).max().orElse(Double.NaN);
        double floorMiddle = middle.stream().mapToDouble(Point::value).min().orElse(Double.NaN);
        double floorLast = last.stream().mapToDouble(Point::value).min().orElse(Double.NaN);
        double slack = Math.max(absoluteSlack, relativeSlack * floorMiddle);
        boolean judged = middle.size() >= 2 && last.size() >= 2;
        return new Trend(
                points.size(),
                points.get(0).value(),
                points.get(points.size() - 1).value(),
                max,
                floorMiddle,
                floorLast,
                slack,
                slopePerMinute(last),
                judged,
                judged && floorLast <= floorMiddle + slack);
    }

    private static double slopePerMinute(List<Point> points) {
        if (points.size() < 2) {
            return Double.NaN;
        }
        double n = points.size();
        double mx = points.stream().mapToDouble(p -> p.atMillis() / 60_000.0).sum() / n;
        double my = points.stream().mapToDouble(Point::value).sum() / n;
        double sxy = 0;
        double sxx = 0;
        for (Point p : points) {
            double dx = p.atMillis() / 60_000.0 - mx;
            sxy += dx * (p.value() - my);
            sxx += dx * dx;
        }
        return sxx == 0 ? 0 : sxy / sxx;
    }

    public String verdict() {
        return !judged ? "no verdict (too few samples)" : stable ? "stable" : "GROWING";
    }
}
