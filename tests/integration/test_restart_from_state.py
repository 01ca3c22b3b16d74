"""A restarted exporter serves its last good numbers from --state.dir before
its first poll (CONTRACT: /-/ready is 200 once every source has published,
"from state or a poll"), even when the Qualys API cannot be reached: the
real exporter polls qualys-sim, stops; the simulator goes away; the exporter
starts again on the same state directory and must be ready with the same
Qualys families, their age taken from the state, and every source still
reported down (no poll of this process has succeeded)."""
import os
import sys
import tempfile
import time
import unittest
import urllib.error

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from qxtest import (exporter_server, free_port, http, parse_exposition, scrape,  # noqa: E402
                    series, simulator, value, wait_for)

SOURCES = ("hostasset", "detection", "knowledge_base", "was_finding", "was_scan_schedule")
ARGS = ("--poll.interval=1h", "--api.max-attempts=2", "--qualys.connect-timeout=1s")


def ready(port):
    try:
        http(f"http://127.0.0.1:{port}/-/ready", timeout=2)
        return True
    except urllib.error.HTTPError as e:
        if e.code == 503:
            return False
        raise


def qualys_data(text):
    """The Qualys-data lines (HELP/TYPE included), self-metrics left out."""
    keep = []
    for line in text.splitlines():
        name = line.split(" ")[2] if line.startswith("#") else line.split("{")[0].split(" ")[0]
        if name.startswith("qualys_") and not name.startswith("qualys_exporter_") \
                and name != "qualys_up":
            keep.append(line)
    return keep


class RestartFromState(unittest.TestCase):
    def test_ready_with_the_last_good_numbers_while_the_api_is_down(self):
        with tempfile.TemporaryDirectory() as state:
            with simulator("--seed=5", "--host_assets=120", "--webapps=4",
                           "--findings_per_webapp=10") as (base, _):
                port = free_port()
                with exporter_server(base, state, port, ARGS) as exp:
                    wait_for(lambda: ready(port), 60, "the first poll to make it ready")
                    m = parse_exposition(scrape(port))
                    self.assertEqual(value(m, "qualys_up"), 1, exp.output())
                    polled = scrape(port)
                    synced = {s: value(m, "qualys_exporter_last_poll_success_timestamp_seconds",
                                       source=s) for s in SOURCES}
            # The simulator has stopped: nothing answers at base any more.
            started = time.time()
            port = free_port()
            with exporter_server(base, state, port, ARGS, name="restarted") as exp:
                wait_for(lambda: ready(port), 10, "readiness from the state")
                text = scrape(port)
                self.assertLess(time.time() - started, 10)
                m = parse_exposition(text)
                data = qualys_data(text)
                self.assertGreater(len(data), 50)
                self.assertEqual(data, qualys_data(polled),
                                 "the restarted exporter serves the numbers of the last poll")
                self.assertGreater(value(m, "qualys_host_assets", cloud_provider="azure"), 0)
                for s in SOURCES:
                    age = value(m, "qualys_exporter_last_poll_success_timestamp_seconds", source=s)
                    # When the stored data was fetched: not before the
                    # first process started, not after its poll ended.
                    self.assertIsNotNone(age, s)
                    self.assertLessEqual(age, synced[s], s)
                    self.assertGreater(age, synced[s] - 60, s)
                # The first poll fails (API down): the sources are down, the
                # stored numbers stay.
                wait_for(lambda: all(
                    value(parse_exposition(scrape(port)), "qualys_exporter_source_up",
                          source=s) == 0 for s in SOURCES) and series(
                    parse_exposition(scrape(port)), "qualys_exporter_poll_duration_seconds"),
                    60, "the first poll to fail")
                m = parse_exposition(scrape(port))
                self.assertEqual(value(m, "qualys_up"), 0)
                self.assertTrue(ready(port))
                self.assertEqual(qualys_data(scrape(port)), qualys_data(polled))
                self.assertIn("published hostasset from state", exp.output())

    def test_not_ready_without_state_until_a_poll_succeeds(self):
        with tempfile.TemporaryDirectory() as state:
            port = free_port()
            dead = f"http://127.0.0.1:{free_port()}"
            with exporter_server(dead, state, port, ARGS) as exp:
                wait_for(lambda: scrape(port), 10, "the exporter to serve")
                wait_for(lambda: "failed" in exp.output(), 30, "the first poll to fail")
                self.assertFalse(ready(port))
                self.assertNotIn("qualys_host_assets", scrape(port))


if __name__ == "__main__":
    unittest.main()
