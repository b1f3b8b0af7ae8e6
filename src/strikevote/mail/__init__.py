"""Mail members can act on: credential letters, cast confirmations and reminders, through a durable outbox.

* :mod:`.settings` — the vote file's ``[mail]`` and ``[reminders]`` blocks (SMTP server, From, public URL, rate);
* :mod:`.letters` — the three letters in English and Spanish (Jinja2 templates, dates by Babel) and the
  RFC 5322 message (multipart plain text + HTML, UTF-8, quoted-printable; written out directly for speed);
* :mod:`.outbox` — queueing (credential letters, the confirmation of an accepted cast, reminders to members who
  have not voted) and the counts officials may see;
* :mod:`.smtp` — one SMTP connection (STARTTLS, implicit TLS, login) that commits before the final dot;
* :mod:`.rendering` — a claimed outbox row made into its message (the vote's facts loaded once per run);
* :mod:`.claims` — the outbox rows a run holds and the commits recording what became of them;
* :mod:`.sender` — a run that delivers the outbox (``strikevote mail send``), and what a kill can do to it;
* :mod:`.finisher` — the helper process that settles a group a killed sender left half done;
* :mod:`.loop` — the server's background task: scheduled reminders, then :mod:`.sender` runs.

Trust: the server knows which member holds which public credential only to address mail
(``mail_recipients``); no officials-facing output shows it.  Private credentials are never in the database: a
credential letter is rendered at send time from the credential authority's encrypted store
(:mod:`strikevote.services.castore`).
"""
