# Inline fixtures: always run. One channel "main" with a tiny python world.
repo main linux-64
pkg python 3.10.4 h0 dep="openssl >=3,<4"
pkg python 3.11.2 h0 dep="openssl >=3,<4"
pkg openssl 3.0.1 h0
pkg openssl 3.1.0 h0
pkg numpy 1.26.4 py310h0 dep="python >=3.10,<3.11.0a0"
pkg numpy 1.26.4 py311h0 dep="python >=3.11,<3.12.0a0"
pkg numpy 2.0.0 py311h0 dep="python >=3.11,<3.12.0a0"
repo main noarch
pkg pip 24.0 pyhd8ed1ab_0 dep="python >=3.7" noarch=python

channel main inline
pip off

case newest of everything
spec numpy
expect numpy 2.0.0 py311h0
expect python 3.11.2 h0
expect openssl 3.1.0 h0
order openssl python
order python numpy

case python=3.10 pulls numpy 1.26
spec python=3.10
spec numpy
expect numpy 1.26.4 py310h0
expect python 3.10.4 h0
expect openssl 3.1.0 h0

case numpy<2 picks 1.26.4 with newest python
spec numpy<2
expect numpy 1.26.4 py311h0
expect python 3.11.2 h0
expect openssl 3.1.0 h0

case add_pip_as_python_dependency on
pip on
spec python
expect python 3.11.2 h0
expect openssl 3.1.0 h0
expect pip 24.0 pyhd8ed1ab_0
order python pip

case unsolvable python=3.10 numpy=2.0 names the clash
spec python=3.10
spec numpy=2.0
error numpy 2.0.0 requires python >=3.11,<3.12.0a0, which conflicts with the requested python=3.10

case unknown package
spec nosuchthing
error nothing provides the requested nosuchthing

case no matching version
spec numpy=3
error nothing matches the requested numpy=3: numpy is available in versions

case --debug-solver writes a replayable libsolv testcase
debug-solver
spec python=3.10
spec numpy
link numpy 1.26.4 py310h0

case --debug-solver also on failure
debug-solver
spec python=3.10
spec numpy=2.0
error numpy 2.0.0 requires python
