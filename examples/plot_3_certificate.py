"""
A certificate: written, verified, and an edited one refused
===========================================================

Certify a retrieval radius around a memory, save the certificate as JSON, re-check it from the
file against the network, then edit one number of the file and watch :func:`assocrate.verify`
refuse it (theory.md §5; see also the page "How to trust a certificate").

Run: ``python examples/plot_3_certificate.py``
"""

import json
import tempfile
from pathlib import Path

import assocrate as aa

net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(rho=4.8, threshold=0.2), a=-0.3, b=0.95)

# %%
# The certified retrieval radius of memory 0: a box of half-width δ around the memory's current
# in which every trajectory provably converges to the memory (Metzler majorant, checked in exact
# rational arithmetic). The default method, interval iteration, certifies a larger box (0.561
# against 0.414, theory.md §5 item 3b); this example edits the Metzler certificate.
radius = aa.certified_radius(net, 0, method="metzler")
print(radius)

# %%
# Write it, read it back, re-check it from scratch: the same check code the certifier ran,
# applied to the network alone.
folder = Path(tempfile.mkdtemp())
path = aa.save_certificate(folder / "radius_0.json", radius.certificate)
check = aa.verify(aa.load_certificate(path), net)
print(check.verified, check.status.code)

# %%
# The file keeps every exact number as a "p/q" string next to its float. Enlarge δ by hand, in
# both places, as someone who wanted a bigger radius might:
record = json.loads(path.read_text())
print("delta as stored:", record["exact_data"]["delta"])
record["exact_data"]["delta"] = "1/2"
record["data"]["delta"] = 0.5
edited = folder / "radius_0_edited.json"
edited.write_text(json.dumps(record))

# %%
# The edit is caught, and not by the checksum alone (which only catches accidents): ``verify``
# recomputes the slope bounds K⁺ on the wider box from the network and they no longer match, so
# the numbered hypothesis that fails is named. Updating the checksum would not help a forger:
# every hypothesis is re-derived, and at δ = 1/2 the Metzler inequality itself fails.
refused = aa.verify(aa.load_certificate(edited), net)
print(refused.verified, refused.status.code, "- failed:", refused.hypothesis)
for problem in refused.problems:
    print("-", problem)

# %%
# A certificate for another network is refused too (the network digest differs).
other = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(rho=4.8, threshold=0.2), a=-0.3, b=1.0)
print(aa.verify(aa.load_certificate(path), other).problems)
