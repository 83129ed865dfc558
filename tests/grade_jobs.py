"""Grade a list of submissions in one process (torch imported once).

Usage: python tests/grade_jobs.py JOBS.json, where JOBS.json is a list of
{"folder", "topics", "out", "timeout"}; each result is written to "out".
"""

import json
import sys

from gradkit.reporters import json_report
from gradkit.runner import grade

for job in json.load(open(sys.argv[1])):
    result = grade(job["folder"], job.get("topics"), timeout=job.get("timeout", 10.0),
                   lang=job.get("lang", "en"), pictures=job.get("pictures", False))
    json_report.write(result, job["out"])
