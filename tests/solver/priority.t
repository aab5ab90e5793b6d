# Channel priority and channel::name pinning. "high" is listed first.
repo high linux-64
pkg foo 1.0 h0
pkg bar 1.0 h0 dep="foo >=2"
pkg baz 1.0 h0
repo low linux-64
pkg foo 2.0 h0
pkg baz 3.0 h0

channel high inline
channel low inline
pip off

case strict: the higher channel wins even when older
priority strict
spec baz
expect baz 1.0 h0

case flexible: the higher channel wins even when older
priority flexible
spec baz
expect baz 1.0 h0

case disabled: the newest version wins across channels
# (rattler-solve.mjs is always strict, so it disagrees here and below by design)
priority disabled
spec baz
expect baz 3.0 h0

case flexible falls back to a lower channel when needed
priority flexible
spec bar
expect bar 1.0 h0
expect foo 2.0 h0

case strict does not fall back to a lower channel
priority strict
spec bar
error bar 1.0 requires foo >=2

case channel::name pins the candidates to that channel
# conda solves this (records of the named channel are selected before strict
# priority applies); rattler 0.3.5 refuses it. Kept as conda does.
priority strict
spec low::baz
expect baz 3.0 h0

case channel::name pinning with a version the channel lacks
spec high::baz=3
error baz

case channel order reversed flips the choice
channel low inline
channel high inline
spec baz
expect baz 3.0 h0
