#!/usr/bin/env python3
"""Writes a realistic synthetic sales mailbox as one mbox, deterministic by seed.

    bench/gen_corpus.py --messages 100000 --seed 1 --out /tmp/gen100k.mbox

What it contains, so that every stage of the ingest has real work to do:
- threads of 1 to 12 messages between an internal sales team and external accounts, replies
  carrying In-Reply-To and References (the whole chain, like real clients), some forwarded;
- To and Cc lists of 1 to 7 people, often 4+ people of one account in copy;
- French and English text with request, reschedule, budget and recap cues, quoted replies
  ("Le ... a écrit :", "On ... wrote:", Outlook "-----Original Message-----" blocks), signatures
  with names and titles;
- RFC 2047 subjects and display names (B and Q encodings), quoted-printable and base64 bodies,
  multipart/alternative with an HTML part, some attachments (PDF-like base64 blobs);
- about 5 KB a message on average (attachments are what makes the average; most mails are small).
The same seed always gives the same bytes, so figures can be compared across runs and machines.
"""
import argparse
import base64
import quopri
import random
import sys
import time

FIRST_FR = ["Camille", "Julien", "Élodie", "Nicolas", "Sébastien", "Hélène", "Mathieu", "Aurélie", "François",
            "Céline", "Jérôme", "Sophie", "Thomas", "Amélie", "Benoît", "Chloé", "Damien", "Inès"]
LAST_FR = ["Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Girard", "Rousseau", "Faure", "Mercier",
           "Blanc", "Guérin", "Muller", "Lemaître", "Chevalier", "Garnier", "Perrin"]
FIRST_EN = ["James", "Emily", "Michael", "Sarah", "David", "Laura", "Robert", "Olivia", "Daniel", "Grace",
            "Andrew", "Hannah", "Peter", "Rachel", "Steven", "Megan"]
LAST_EN = ["Smith", "Johnson", "Brown", "Taylor", "Wilson", "Clark", "Walker", "Hall", "Young", "King",
           "Wright", "Green", "Baker", "Turner", "Parker", "Collins"]
TITLES_FR = ["Directeur général", "DSI", "Responsable achats", "Chef de projet", "Juriste", "Assistante de direction",
             "Architecte technique", "Directeur commercial", "Utilisateur clé"]
TITLES_EN = ["CEO", "CTO", "Procurement Manager", "Project Lead", "Legal Counsel", "Executive Assistant",
             "IT Architect", "Sales Director", "Operator"]
TLDS = [".fr", ".com", ".co.uk", ".de", ".io", ".eu"]
WORDS = ["solution", "intégration", "planning", "budget", "contrat", "licence", "déploiement", "pilote",
         "sécurité", "migration", "support", "formation", "roadmap", "renewal", "pricing", "rollout", "scope",
         "proposal", "workshop", "onboarding", "milestone", "deliverable", "SLA", "API", "datacenter"]
SUBJ_FR = ["Proposition commerciale {w}", "Point hebdomadaire {w}", "Devis {w} {n}", "Réunion de lancement {w}",
           "Compte-rendu atelier {w}", "Question sur le {w}", "Relance : {w}", "Validation {w} par la direction"]
SUBJ_EN = ["Commercial proposal {w}", "Weekly update {w}", "Quote {w} {n}", "Kick-off meeting {w}",
           "Workshop notes {w}", "Question about {w}", "Follow-up: {w}", "Management approval for {w}"]
BODY_FR = [
    "Bonjour {to},\n\nPourriez-vous me confirmer la date de l'atelier {w} ? Nous devons caler le planning avec l'équipe.\n",
    "Bonjour,\n\nSuite à notre échange, je vous envoie la proposition pour le {w}. Le budget reste à valider de votre côté.\n",
    "Bonjour {to},\n\nNous devons décaler la réunion sur le {w} à la semaine prochaine, la direction n'a pas encore validé.\n",
    "Bonjour à tous,\n\nVoici le compte-rendu du point hebdomadaire : avancement du {w}, prochaines étapes et risques.\n"
    "Le pilote démarre le 12, la revue de sécurité est prévue ensuite.\n",
    "Merci pour votre retour.\n\nJ'attends votre retour sur le {w} avant vendredi, merci de me tenir informé.\n",
    "Bonjour,\n\nCe n'est pas prioritaire pour nous ce trimestre, nous avons d'autres priorités avec le {w}.\n",
    "Bonjour {to},\n\nNous avons décidé d'aller de l'avant : accord pour le {w} selon les conditions discutées.\n",
]
BODY_EN = [
    "Hi {to},\n\nCould you confirm the date of the {w} workshop? We need to align the schedule with the team.\n",
    "Hello,\n\nFollowing our call, please find the proposal for the {w}. The budget is still to be approved on your side.\n",
    "Hi {to},\n\nWe have to postpone the {w} meeting to next week, we are waiting for management approval.\n",
    "Hi all,\n\nHere is the weekly recap: {w} progress, next steps and risks. The pilot starts on the 12th,\n"
    "then the security review.\n",
    "Thanks for your feedback.\n\nPlease let me know about the {w} before Friday.\n",
    "Hello,\n\nThis is not a priority for us this quarter; we have other priorities with the {w}.\n",
    "Hi {to},\n\nWe agreed to go ahead with the {w} on the terms we discussed. Approved.\n",
]
FILLER = ("Pour rappel, le périmètre couvre les sites de Lyon et de Nantes, l'intégration avec l'annuaire et la "
          "reprise des données historiques. Les équipes techniques ont besoin d'un environnement de recette. "
          "As a reminder, the scope covers the data migration, the single sign-on integration and training "
          "for the key users; the rollout plan assumes two waves. ")
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def rfc2822_date(t, tz_min):
    lt = time.gmtime(t + tz_min * 60)
    sign = "+" if tz_min >= 0 else "-"
    return "%s, %d %s %d %02d:%02d:%02d %s%02d%02d" % (DAYS[lt.tm_wday], lt.tm_mday, MONTHS[lt.tm_mon - 1],
                                                      lt.tm_year, lt.tm_hour, lt.tm_min, lt.tm_sec, sign,
                                                      abs(tz_min) // 60, abs(tz_min) % 60)


def encode_word(text, rnd):
    """RFC 2047 encoded-word for non-ASCII text: B or Q encoding, as real clients mix them."""
    if all(ord(c) < 128 for c in text):
        return text
    raw = text.encode("utf-8")
    if rnd.random() < 0.5:
        return "=?UTF-8?B?%s?=" % base64.b64encode(raw).decode()
    q = "".join(chr(b) if (48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122) else "=%02X" % b for b in raw)
    return "=?UTF-8?Q?%s?=" % q


def mailbox(p, rnd):
    name = p["name"]
    if any(ord(c) >= 128 for c in name):
        return "%s <%s>" % (encode_word(name, rnd), p["addr"])
    return '"%s" <%s>' % (name, p["addr"])


def fold_refs(ids):
    return "\n ".join("<%s>" % i for i in ids)


class World:
    def __init__(self, rnd, accounts):
        self.rnd = rnd
        self.internal = []
        for k in range(6):
            fr = rnd.random() < 0.5
            first = rnd.choice(FIRST_FR if fr else FIRST_EN)
            last = rnd.choice(LAST_FR if fr else LAST_EN)
            self.internal.append(self.person(first, last, "vendeo.fr", fr, ["Ingénieur commercial", "Account Executive",
                                                                          "Directeur des ventes"][k % 3]))
        self.accounts = []
        for a in range(accounts):
            fr = rnd.random() < 0.6
            dom = "%s%s%d%s" % (rnd.choice(["acme", "globex", "initech", "soylent", "umbrella", "hooli", "vandelay",
                                            "stark", "wayne", "tyrell"]), rnd.choice(["", "-group", "-sa", "corp"]),
                                a, rnd.choice(TLDS))
            people = []
            for _ in range(rnd.randint(2, 9)):
                first = rnd.choice(FIRST_FR if fr else FIRST_EN)
                last = rnd.choice(LAST_FR if fr else LAST_EN)
                people.append(self.person(first, last, dom, fr, rnd.choice(TITLES_FR if fr else TITLES_EN)))
            self.accounts.append({"domain": dom, "fr": fr, "people": people})

    def person(self, first, last, dom, fr, title):
        local = "%s.%s" % (first, last)
        local = local.lower().translate(str.maketrans("éèêëàâîïôöûüç", "eeeeaaiioouuc"))
        return {"name": "%s %s" % (first, last), "first": first, "addr": "%s@%s" % (local, dom), "fr": fr,
                "title": title}


def signature(p, rnd):
    if rnd.random() < 0.3:
        return "\n-- \n%s\n%s\n" % (p["name"], p["title"])
    closing = rnd.choice(["Cordialement,", "Bien à vous,"] if p["fr"] else ["Best regards,", "Regards,", "Thanks,"])
    return "\n%s\n%s\n%s\n" % (closing, p["name"], p["title"])


def quote_block(prev, fr, rnd):
    """The previous message quoted the way the common clients do it."""
    style = rnd.random()
    if style < 0.6:
        head = ("Le %s, %s a écrit :" if fr else "On %s, %s wrote:") % (prev["date_text"], prev["from"]["name"])
        return "\n" + head + "\n" + "".join("> " + l + "\n" for l in prev["text"].split("\n"))
    if style < 0.85:
        return ("\n-----Original Message-----\nFrom: %s\nSent: %s\nTo: %s\nSubject: %s\n\n%s"
                % (prev["from"]["name"], prev["date_text"], prev["to_text"], prev["subject"], prev["text"]))
    return ""  # no quote (top-posting without history, common on mobile)


ATTACH_POOL = None


def attachment(rnd):
    global ATTACH_POOL
    if ATTACH_POOL is None:
        # A few fixed blobs: random-looking bytes (so nothing compresses them away), built once.
        prng = random.Random(12345)
        ATTACH_POOL = []
        for size in (6000, 14000, 30000, 60000):
            blob = bytes(prng.getrandbits(8) for _ in range(size))
            b64 = base64.encodebytes(blob).decode()
            ATTACH_POOL.append(b64)
    return rnd.choice(ATTACH_POOL)


def body_part(text, rnd):
    """Content-Transfer-Encoding chosen like real clients: 8bit, quoted-printable or base64."""
    data = text.encode("utf-8")
    r = rnd.random()
    if r < 0.45:
        return "Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n" + text
    if r < 0.8:
        return ("Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: quoted-printable\n\n" +
                quopri.encodestring(data).decode("ascii"))
    return ("Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: base64\n\n" +
            base64.encodebytes(data).decode("ascii"))


def html_of(text):
    esc = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "<html><body>" + "".join("<p>%s</p>\n" % l for l in esc.split("\n") if l) + "</body></html>\n"


def write_message(out, m, rnd, seq):
    hdr = []
    hdr.append("Return-Path: <%s>" % m["from"]["addr"])
    hdr.append("Received: from mx%d.vendeo.fr (mx%d.vendeo.fr [10.0.%d.%d]) by mail.vendeo.fr with ESMTPS id %X; %s"
               % (seq % 7, seq % 7, seq % 250, seq % 199, seq * 7919, m["date_text"]))
    hdr.append("Message-ID: <%s>" % m["id"])
    hdr.append("Date: %s" % m["date_text"])
    hdr.append("From: %s" % mailbox(m["from"], rnd))
    hdr.append("To: %s" % ",\n ".join(mailbox(p, rnd) for p in m["to"]))
    if m["cc"]:
        hdr.append("Cc: %s" % ",\n ".join(mailbox(p, rnd) for p in m["cc"]))
    hdr.append("Subject: %s" % encode_word(m["subject"], rnd))
    if m["parent"]:
        hdr.append("In-Reply-To: <%s>" % m["parent"])
        hdr.append("References: %s" % fold_refs(m["refs"]))
    hdr.append("MIME-Version: 1.0")
    hdr.append("X-Mailer: %s" % rnd.choice(["Microsoft Outlook 16.0", "Mozilla Thunderbird 115.3", "Apple Mail (2.3731)"]))
    text = m["text"] + m["sig"] + m["quote"]
    r = rnd.random()
    if m["attach"]:
        b = "=_mix_%d" % seq
        body = ("Content-Type: multipart/mixed; boundary=\"%s\"\n\nThis is a multi-part message in MIME format.\n"
                "--%s\n%s\n--%s\nContent-Type: application/pdf; name=\"%s.pdf\"\nContent-Transfer-Encoding: base64\n"
                "Content-Disposition: attachment; filename=\"%s.pdf\"\n\n%s--%s--\n"
                % (b, b, body_part(text, rnd), b, m["attach_name"], m["attach_name"], attachment(rnd), b))
    elif r < 0.3:
        b = "=_alt_%d" % seq
        body = ("Content-Type: multipart/alternative; boundary=\"%s\"\n\n--%s\n%s\n--%s\n"
                "Content-Type: text/html; charset=UTF-8\nContent-Transfer-Encoding: quoted-printable\n\n%s\n--%s--\n"
                % (b, b, body_part(text, rnd), b, quopri.encodestring(html_of(text).encode()).decode("ascii"), b))
    else:
        body = body_part(text, rnd)
    head, _, rest = body.partition("\n\n")
    lines = "\n".join(hdr) + "\n" + head + "\n\n" + rest
    if not lines.endswith("\n"):
        lines += "\n"
    # mboxrd: a body line starting with "From " (or ">From ") gains one '>'.
    lines = lines.replace("\nFrom ", "\n>From ")
    out.write("From %s %s\n" % (m["from"]["addr"], time.strftime("%a %b %d %H:%M:%S %Y", time.gmtime(m["t"]))))
    out.write(lines)
    out.write("\n")


def generate(n, seed, out):
    rnd = random.Random(seed)
    world = World(rnd, max(20, n // 400))
    t = 1262304000 + rnd.randint(0, 86400)  # 2010-01-01: a decade of mail for a million messages
    step = max(60, int(10 * 365 * 86400 / max(n, 1)))
    seq = 0
    open_threads = []
    while seq < n:
        # Either a reply in a thread still going on, or a new thread.
        if open_threads and rnd.random() < 0.62:
            th = rnd.choice(open_threads)
        else:
            acc = rnd.choice(world.accounts)
            fr = acc["fr"]
            w = rnd.choice(WORDS)
            subj = rnd.choice(SUBJ_FR if fr else SUBJ_EN).format(w=w, n=rnd.randint(100, 999))
            th = {"acc": acc, "fr": fr, "subject": subj, "w": w, "msgs": [], "left": rnd.randint(1, 12),
                  "rep": rnd.choice(world.internal)}
            open_threads.append(th)
        acc, fr = th["acc"], th["fr"]
        prev = th["msgs"][-1] if th["msgs"] else None
        outbound = prev is None or prev["from"] is not th["rep"] and rnd.random() < 0.7 or rnd.random() < 0.2
        if outbound:
            frm = th["rep"]
            k = 1 if rnd.random() < 0.5 else rnd.randint(2, min(7, len(acc["people"])))
            group = rnd.sample(acc["people"], k)
            to, cc = group[:1], group[1:]
            if rnd.random() < 0.2:
                cc.append(rnd.choice(world.internal))
        else:
            frm = prev["to"][0] if prev and prev["to"][0]["addr"].endswith(acc["domain"]) else rnd.choice(acc["people"])
            to = [th["rep"]]
            cc = rnd.sample(acc["people"], rnd.randint(0, min(3, len(acc["people"]))))
            cc = [p for p in cc if p is not frm]
        t += rnd.randint(step // 4, step * 2)
        tz = rnd.choice([60, 120, 0, -300, 330])
        seq += 1
        mid = "%d.%x.%s@%s" % (seq, rnd.getrandbits(40), "gen", frm["addr"].split("@")[1])
        text = rnd.choice(BODY_FR if fr else BODY_EN).format(to=to[0]["first"], w=th["w"])
        text += FILLER[: rnd.randint(0, len(FILLER))] + "\n"
        subject = th["subject"] if prev is None else ("RE: " if rnd.random() < 0.5 else "Re: ") + th["subject"]
        m = {"id": mid, "t": t, "date_text": rfc2822_date(t, tz), "from": frm, "to": to, "cc": cc,
             "subject": subject, "text": text, "sig": signature(frm, rnd),
             "parent": prev["id"] if prev else None,
             "refs": (prev["refs"] + [prev["id"]])[-20:] if prev else [],
             "attach": rnd.random() < 0.09, "attach_name": "%s-%d" % (th["w"], seq)}
        m["to_text"] = ", ".join(p["name"] for p in to)
        m["quote"] = quote_block(prev, fr, rnd) if prev else ""
        # Quoted history is cut to the previous message only (clients quote the whole chain, but
        # an unbounded chain would make the corpus quadratic in thread length).
        write_message(out, m, rnd, seq)
        th["msgs"].append({k: m[k] for k in ("id", "refs", "from", "to", "date_text", "to_text", "subject", "text")})
        th["msgs"] = th["msgs"][-1:]
        th["left"] -= 1
        if th["left"] <= 0:
            open_threads.remove(th)
        if len(open_threads) > 400:
            open_threads.pop(0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--messages", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    if a.messages < 1:
        sys.exit("gen_corpus: --messages must be at least 1")
    with open(a.out, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as out:
        generate(a.messages, a.seed, out)


if __name__ == "__main__":
    main()
