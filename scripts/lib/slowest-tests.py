#!/usr/bin/env python3
"""Prints where a test run's time went, from the .trx files `dotnet test --logger trx` wrote under a directory:
the slowest tests and the test classes with the most time in all, so the suite's 20-minute budget can be watched.

    slowest-tests.py DIR [N]
"""
import glob
import os
import sys
import xml.etree.ElementTree as ET

NS = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"


def seconds(text):
    h, m, s = text.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def main():
    root, top = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 15
    tests, classes = [], {}
    for path in glob.glob(os.path.join(root, "**", "*.trx"), recursive=True):
        doc = ET.parse(path).getroot()
        names = {}
        for d in doc.iter(NS + "UnitTest"):
            method = d.find(NS + "TestMethod")
            if method is not None:
                names[d.get("id")] = method.get("className", "?").split(",")[0]
        for r in doc.iter(NS + "UnitTestResult"):
            if r.get("duration") is None:
                continue
            s = seconds(r.get("duration"))
            cls = names.get(r.get("testId"), "?")
            tests.append((s, r.get("testName", "?"), r.get("outcome", "?")))
            classes[cls] = classes.get(cls, 0.0) + s
    if not tests:
        return
    print(f"\nTest time: {len(tests)} tests, {sum(t[0] for t in tests) / 60:.1f} summed minutes. Slowest tests:")
    for s, name, outcome in sorted(tests, reverse=True)[:top]:
        print(f"  {s:7.1f} s  {name}{'' if outcome == 'Passed' else '  [' + outcome + ']'}")
    print("Classes with the most time in all:")
    for cls, s in sorted(classes.items(), key=lambda kv: kv[1], reverse=True)[:top]:
        print(f"  {s:7.1f} s  {cls}")


if __name__ == "__main__":
    main()
