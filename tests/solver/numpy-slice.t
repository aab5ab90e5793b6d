# conda-forge numpy slice (mamba's test data, 34 records, linux-64 + noarch
# records in one file): numpy 1.26.4 for python 3.12 only.
channel cf repodata/conda-forge-numpy-slice/conda-forge-numpy-linux-64.json linux-64
pip off

case numpy
spec numpy

case numpy<2
spec numpy<2

case python=3.10 numpy has no python 3.10
spec python=3.10
spec numpy
error nothing matches the requested python=3.10: python is available in version 3.12.1

case python pip with add_pip_as_python_dependency
pip on
spec python
link pip 24.0 pyhd8ed1ab_0
link setuptools
link wheel

case python without add_pip_as_python_dependency
spec python
nolink pip
