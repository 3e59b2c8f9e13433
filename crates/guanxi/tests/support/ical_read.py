"""Reads an iCalendar file with a real parser (Python's `icalendar`) and prints its events
as JSON: uid, summary, start and end (ISO 8601; timed ones converted to UTC, all-day ones
as dates), location, description, status, alarm triggers in minutes, and the organizer
and attendees (address, name, role, reply).

    python3 ical_read.py FEED.ics
"""
import datetime
import json
import sys

import icalendar

with open(sys.argv[1], "rb") as f:
    cal = icalendar.Calendar.from_ical(f.read())


def when(prop):
    if prop is None:
        return None
    v = prop.dt
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None:
            raise SystemExit("a floating time: " + str(v))
        return v.astimezone(datetime.timezone.utc).isoformat()
    return v.isoformat()


def person(prop):
    return {
        "address": str(prop),
        "name": str(prop.params.get("CN", "")),
        "role": str(prop.params.get("ROLE", "")),
        "reply": str(prop.params.get("PARTSTAT", "")),
    }


def people(e):
    found = e.get("ATTENDEE")
    if found is None:
        return []
    if not isinstance(found, list):
        found = [found]
    return [person(a) for a in found]


events = []
for e in cal.walk("VEVENT"):
    alarms = []
    for a in e.walk("VALARM"):
        alarms.append(int(-a.get("TRIGGER").dt.total_seconds() // 60))
    events.append(
        {
            "uid": str(e.get("UID")),
            "summary": str(e.get("SUMMARY")),
            "start": when(e.get("DTSTART")),
            "end": when(e.get("DTEND")),
            "location": str(e.get("LOCATION")) if e.get("LOCATION") else None,
            "description": str(e.get("DESCRIPTION")) if e.get("DESCRIPTION") else None,
            "status": str(e.get("STATUS")),
            "alarms": alarms,
            "organizer": person(e.get("ORGANIZER")) if e.get("ORGANIZER") else None,
            "attendees": people(e),
        }
    )
print(json.dumps({"name": str(cal.get("X-WR-CALNAME")), "events": events}, ensure_ascii=False))
