"""Charts drawn on the server: points placed on the requested time axis, scaled to the top."""

from launchdeck.controlplane.web.charts import HEIGHT, PAD, WIDTH, charts


def test_points_sit_on_the_time_axis_and_the_last_is_marked():
    points = [{"t": 3000, "requests_per_s": 2.0}, {"t": 3600, "requests_per_s": 4.0}]
    requests = charts(points, start=0, end=3600)[0]
    assert requests.title == "requests/s" and requests.latest == "4" and requests.top == "4"
    first, last = (tuple(map(float, p.split(","))) for p in requests.points.split())
    assert first[0] == round(PAD + (WIDTH - 2 * PAD) * 3000 / 3600, 1)
    assert last == (WIDTH - PAD, PAD)  # the top, at the right
    assert requests.dot == last
    assert 0 < first[1] < HEIGHT


def test_a_figure_without_data_says_so_and_units_are_people_s():
    points = [{"t": 10, "error_rate": 0.02, "cpu": None, "memory_bytes": 64 * 1024**2}]
    by_title = {c.title: c for c in charts(points, start=0, end=60)}
    assert by_title["error rate"].latest == "2%"
    assert by_title["CPU"].latest == "no data" and by_title["CPU"].dot is None
    assert by_title["memory"].latest == "64 MiB"
