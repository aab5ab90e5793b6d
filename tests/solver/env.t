# Installing into, updating and removing from an existing environment.
repo main linux-64
pkg python 3.10.4 h0
pkg python 3.11.2 h0
pkg python 3.12.1 h0
pkg requests 2.31.0 py_0 dep="python >=3.8" dep="urllib3 >=1.21"
pkg urllib3 1.26.0 py_0 dep="python"
pkg urllib3 2.1.0 py_0 dep="python"
pkg numpy 1.26.4 py310h0 dep="python >=3.10,<3.11.0a0"
pkg numpy 1.26.4 py311h0 dep="python >=3.11,<3.12.0a0"
pkg numpy 1.26.4 py312h0 dep="python >=3.12,<3.13.0a0"
pkg tool 1.0 h0
pkg tool 2.0 h0
channel main inline
pip off
installed python 3.10.4 h0
installed urllib3 1.26.0 py_0 dep="python"
installed requests 2.31.0 py_0 dep="python >=3.8" dep="urllib3 >=1.21"
installed tool 1.0 h0
history python=3.10
history requests
history tool

case install keeps what is installed
spec numpy
expect python 3.10.4 h0
expect urllib3 1.26.0 py_0
expect requests 2.31.0 py_0
expect tool 1.0 h0
expect numpy 1.26.4 py310h0

case install of an installed package changes nothing
spec requests
expect python 3.10.4 h0
expect urllib3 1.26.0 py_0
expect requests 2.31.0 py_0
expect tool 1.0 h0

case install with a new version updates only that package
spec tool=2
expect python 3.10.4 h0
expect urllib3 1.26.0 py_0
expect requests 2.31.0 py_0
expect tool 2.0 h0
unlink tool 1.0 h0

case install that needs a newer python replaces it
spec numpy=1.26.4=py312h0
expect python 3.12.1 h0
expect urllib3 1.26.0 py_0
expect requests 2.31.0 py_0
expect tool 1.0 h0
expect numpy 1.26.4 py312h0
unlink python 3.10.4 h0

case update one package
kind update
spec urllib3
expect python 3.10.4 h0
expect urllib3 2.1.0 py_0
expect requests 2.31.0 py_0
expect tool 1.0 h0

case update --all
kind update-all
expect python 3.12.1 h0
expect urllib3 2.1.0 py_0
expect requests 2.31.0 py_0
expect tool 2.0 h0

case remove a leaf
kind remove
spec tool
expect python 3.10.4 h0
expect urllib3 1.26.0 py_0
expect requests 2.31.0 py_0
unlink tool 1.0 h0

case remove takes the packages that need it
kind remove
spec urllib3
expect python 3.10.4 h0
expect tool 1.0 h0
unlink urllib3 1.26.0 py_0
unlink requests 2.31.0 py_0

case remove something not installed
kind remove
spec numpy
error numpy: it is not installed

case update something not installed
kind update
spec numpy
error cannot update numpy: it is not installed

case pinned_packages holds a package back on update --all
kind update-all
pin tool 1.*
expect python 3.12.1 h0
expect urllib3 2.1.0 py_0
expect requests 2.31.0 py_0
expect tool 1.0 h0

case installing against a pin is explained
pin tool 1.*
spec tool=2
error pinned
