# conda-forge numpy slice (mamba's test data, 34 records, linux-64 + noarch
# records in one file): numpy 1.26.4 for python 3.12 only.
channel cf repodata/conda-forge-numpy-slice/conda-forge-numpy-linux-64.json linux-64
pip off

case numpy
# The set rattler 0.3.5 also returns.
spec numpy
expect _libgcc_mutex 0.1 conda_forge
expect libgomp 13.2.0 h807b86a_5
expect _openmp_mutex 4.5 2_gnu
expect libgcc-ng 13.2.0 h807b86a_5
expect bzip2 1.0.8 hd590300_5
expect ca-certificates 2024.2.2 hbcca054_0
expect ld_impl_linux-64 2.40 h41732ed_0
expect libgfortran5 13.2.0 ha4646dd_5
expect libgfortran-ng 13.2.0 h69a702a_5
expect libopenblas 0.3.26 pthreads_h413a1c8_0
expect libblas 3.9.0 21_linux64_openblas
expect libcblas 3.9.0 21_linux64_openblas
expect libexpat 2.5.0 hcb278e6_1
expect libffi 3.4.2 h7f98852_5
expect liblapack 3.9.0 21_linux64_openblas
expect libnsl 2.0.1 hd590300_0
expect libzlib 1.2.13 hd590300_5
expect libsqlite 3.44.2 h2797004_0
expect libstdcxx-ng 13.2.0 h7e041cc_5
expect libuuid 2.38.1 h0b41bf4_0
expect libxcrypt 4.4.36 hd590300_1
expect ncurses 6.4 h59595ed_2
expect openssl 3.2.1 hd590300_0
expect readline 8.2 h8228510_1
expect tk 8.6.13 noxft_h4845f30_101
expect tzdata 2024a h0c530f3_0
expect xz 5.2.6 h166bdaf_0
expect python 3.12.1 hab00c5b_1_cpython
expect python_abi 3.12 4_cp312
expect numpy 1.26.4 py312head63a1_0

case numpy<2
spec numpy<2
expect _libgcc_mutex 0.1 conda_forge
expect libgomp 13.2.0 h807b86a_5
expect _openmp_mutex 4.5 2_gnu
expect libgcc-ng 13.2.0 h807b86a_5
expect bzip2 1.0.8 hd590300_5
expect ca-certificates 2024.2.2 hbcca054_0
expect ld_impl_linux-64 2.40 h41732ed_0
expect libgfortran5 13.2.0 ha4646dd_5
expect libgfortran-ng 13.2.0 h69a702a_5
expect libopenblas 0.3.26 pthreads_h413a1c8_0
expect libblas 3.9.0 21_linux64_openblas
expect libcblas 3.9.0 21_linux64_openblas
expect libexpat 2.5.0 hcb278e6_1
expect libffi 3.4.2 h7f98852_5
expect liblapack 3.9.0 21_linux64_openblas
expect libnsl 2.0.1 hd590300_0
expect libzlib 1.2.13 hd590300_5
expect libsqlite 3.44.2 h2797004_0
expect libstdcxx-ng 13.2.0 h7e041cc_5
expect libuuid 2.38.1 h0b41bf4_0
expect libxcrypt 4.4.36 hd590300_1
expect ncurses 6.4 h59595ed_2
expect openssl 3.2.1 hd590300_0
expect readline 8.2 h8228510_1
expect tk 8.6.13 noxft_h4845f30_101
expect tzdata 2024a h0c530f3_0
expect xz 5.2.6 h166bdaf_0
expect python 3.12.1 hab00c5b_1_cpython
expect python_abi 3.12 4_cp312
expect numpy 1.26.4 py312head63a1_0

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
