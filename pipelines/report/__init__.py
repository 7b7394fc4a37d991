"""The periodic report: monthly and quarterly, in Chinese and English, safe to publish.

build.build_report() is the entry point; docs/reports.md describes what a report holds.
"""
