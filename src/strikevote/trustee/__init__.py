"""A trustee's side of the vote, on the trustee's own machine: no database, no network (DESIGN.md §12).

The committee exports public files (:func:`strikevote.services.trustees.export_for_trustee`, or the server's
API); each step here reads one, uses the trustee's passphrase-encrypted key file (:mod:`.keyfile`) and writes
one public message (:mod:`.messages`) for the committee to import.  Before decrypting, :mod:`.steps` runs the
independent verifier on every archive it was given.
"""
