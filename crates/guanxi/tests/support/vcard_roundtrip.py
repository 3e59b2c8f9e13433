"""Reads a vCard file with a real parser (vobject), prints what it found as JSON, and
writes the cards again as vobject serialises them (to test that Guanxi reads those).

    python3 vcard_roundtrip.py IN.vcf OUT.vcf
"""
import json
import sys

import vobject

cards = []
out = []
with open(sys.argv[1], encoding="utf-8") as f:
    for card in vobject.readComponents(f.read()):
        found = {"version": card.version.value}
        for name in ["fn", "uid", "title", "note", "bday", "nickname"]:
            if hasattr(card, name):
                found[name] = getattr(card, name).value
        found["family"] = card.n.value.family
        found["given"] = card.n.value.given
        if hasattr(card, "org"):
            found["org"] = card.org.value
        found["tel"] = [t.value for t in card.contents.get("tel", [])]
        found["email"] = [e.value for e in card.contents.get("email", [])]
        found["adr"] = [
            {"street": a.value.street, "city": a.value.city, "region": a.value.region}
            for a in card.contents.get("adr", [])
        ]
        cards.append(found)
        out.append(card.serialize())
print(json.dumps(cards, ensure_ascii=False))
with open(sys.argv[2], "w", encoding="utf-8") as f:
    f.write("".join(out))
