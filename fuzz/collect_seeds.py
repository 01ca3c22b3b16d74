#!/usr/bin/env python3
"""Copies the test fixtures that suit a fuzz target into its corpus dir.

usage: collect_seeds.py TARGET FIXTURES_DIR CORPUS_DIR

Fixtures are matched by content, not by name, so new ones are picked up
without touching this file:
  host_asset      QPS ServiceResponse with HostAsset, or without records
  was_finding     QPS ServiceResponse with Finding, or without records
  knowledge_base  KNOWLEDGE_BASE_VULN_LIST_OUTPUT
  simple_return   SIMPLE_RETURN
  host_detection  HOST_LIST_VM_DETECTION_OUTPUT
  was_schedule    QPS ServiceResponse with WasScanSchedule or WebApp, or
                  without records
  keyword_payload the text of every <response> holding "Regex:" (QID 150141
                  payloads), or a whole non-XML file holding "Regex:"
SIMPLE_RETURN and HTML bodies are error answers any endpoint can send: they go
to every XML target. Prints how many files it wrote.
"""
import hashlib
import html
import os
import re
import sys
import xml.etree.ElementTree as ET

XML_TARGETS = ("host_asset", "was_finding", "knowledge_base", "simple_return",
               "host_detection", "was_schedule")
MAX_LEN = 262144  # scripts/fuzz -max_len; longer inputs are truncated anyway


def xml_targets(data):
    head = data[:4096].lower()
    if b"<html" in head or b"<!doctype html" in head:
        return set(XML_TARGETS)
    targets = set()
    if b"SIMPLE_RETURN" in data:
        targets.update(XML_TARGETS)
    if b"KNOWLEDGE_BASE" in data or b"<VULN_LIST" in data:
        targets.add("knowledge_base")
    if b"HOST_LIST_VM_DETECTION_OUTPUT" in data:
        targets.add("host_detection")
    if b"ServiceResponse" in data:
        has_host = b"<HostAsset" in data
        has_finding = b"<Finding" in data
        has_schedule = b"<WasScanSchedule" in data or b"<WebApp>" in data
        if has_host:
            targets.add("host_asset")
        if has_finding:
            targets.add("was_finding")
        if has_schedule:
            targets.add("was_schedule")
        if not has_host and not has_finding and not has_schedule:
            # envelope only: errors, empty pages
            targets.update(("host_asset", "was_finding", "was_schedule"))
    return targets


def keyword_payloads(data):
    if b"Regex:" not in data:
        return []
    stripped = data.lstrip()
    if not stripped.startswith(b"<"):
        return [data]
    try:
        root = ET.fromstring(data)
        texts = ["".join(el.itertext()) for el in root.iter() if el.tag.split("}")[-1] == "response"]
    except ET.ParseError:
        # Fixtures may be deliberately broken: fall back to a plain scan.
        texts = []
        for m in re.finditer(rb"<response>(.*?)</response>", data, re.S):
            raw = m.group(1).decode("utf-8", "replace")
            texts.append(html.unescape(raw.replace("<![CDATA[", "").replace("]]>", "")))
    return [t.encode("utf-8") for t in texts if "Regex:" in t]


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    target, fixtures, corpus = sys.argv[1:]
    os.makedirs(corpus, exist_ok=True)
    written = 0
    for dirpath, _, names in os.walk(fixtures):
        for name in sorted(names):
            path = os.path.join(dirpath, name)
            with open(path, "rb") as f:
                data = f.read()
            if target == "keyword_payload":
                inputs = keyword_payloads(data)
            else:
                inputs = [data] if target in xml_targets(data) else []
            rel = os.path.relpath(path, fixtures).replace(os.sep, "_")
            for blob in inputs:
                digest = hashlib.sha1(blob).hexdigest()[:12]
                with open(os.path.join(corpus, f"fixture-{rel}-{digest}"), "wb") as out:
                    out.write(blob[:MAX_LEN])
                written += 1
    print(written)


if __name__ == "__main__":
    main()
