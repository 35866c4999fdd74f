"""Scrapes a Prometheus text endpoint, parses every line with prometheus_client's parser, and
checks that each named sample is present and at least a minimum.

Usage: python3 prom_check.py <metrics-url> 'name{label="value"}>=min' ...
A sample without a bound only has to be present. `scrape` is shared with metrics_test.py."""

import re
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def scrape(url):
    """{(name, sorted label pairs): value} of every sample at `url` (text/plain, HTTP 200)."""
    with urllib.request.urlopen(url, timeout=10) as resp:
        assert resp.status == 200, resp.status
        kind = resp.headers.get("content-type", "")
        assert kind.startswith("text/plain"), kind
        text = resp.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def main(url, wanted):
    samples = scrape(url)
    failures = []
    for spec in wanted:
        m = re.fullmatch(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?(?:>=(-?[0-9.e+]+))?', spec)
        assert m, f"bad spec {spec!r}"
        name, labels, bound = m.group(1), m.group(2), m.group(3)
        labels = dict(re.findall(r'(\w+)="([^"]*)"', labels or ""))
        key = (name, tuple(sorted(labels.items())))
        if key not in samples:
            failures.append(f"{spec}: missing")
        elif bound is not None and samples[key] < float(bound):
            failures.append(f"{spec}: is {samples[key]}")
        else:
            print(f"{spec}: {samples[key]}")
    if failures:
        print("FAIL:\n  " + "\n  ".join(failures), file=sys.stderr)
        print(f"--- scraped {len(samples)} samples from {url}", file=sys.stderr)
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
