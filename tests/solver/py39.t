# conda-forge subchannel (python=3.9 dependency trees, 2024-05-16), linux-64 + noarch.
channel cf repodata/conda-forge-subchannel-py39-20240516
pip off

case python=3.9
spec python=3.9
# Tie on version and build number: conda and rattler take the newest timestamp;
# stock libsolv compares build strings.
needs-patch 0001-conda-build-preference.patch
expect _libgcc_mutex 0.1 conda_forge
expect _openmp_mutex 4.5 2_gnu
expect bzip2 1.0.8 hd590300_5
expect ca-certificates 2024.2.2 hbcca054_0
expect ld_impl_linux-64 2.40 h55db66e_0
expect libffi 3.4.2 h7f98852_5
expect libgcc-ng 13.2.0 h77fa898_7
expect libgomp 13.2.0 h77fa898_7
expect libnsl 2.0.1 hd590300_0
expect libsqlite 3.45.3 h2797004_0
expect libuuid 2.38.1 h0b41bf4_0
expect libxcrypt 4.4.36 hd590300_1
expect libzlib 1.2.13 hd590300_5
expect ncurses 6.5 h59595ed_0
expect openssl 3.3.0 hd590300_0
expect pip 24.0 pyhd8ed1ab_0
expect python 3.9.19 h0755675_0_cpython
expect readline 8.2 h8228510_1
expect setuptools 69.5.1 pyhd8ed1ab_0
expect tk 8.6.13 noxft_h4845f30_101
expect tzdata 2024a h0c530f3_0
expect wheel 0.43.0 pyhd8ed1ab_1
expect xz 5.2.6 h166bdaf_0

case python=3.9 pip
spec python=3.9
spec pip
# Tie on version and build number: conda and rattler take the newest timestamp;
# stock libsolv compares build strings.
needs-patch 0001-conda-build-preference.patch
expect _libgcc_mutex 0.1 conda_forge
expect _openmp_mutex 4.5 2_gnu
expect bzip2 1.0.8 hd590300_5
expect ca-certificates 2024.2.2 hbcca054_0
expect ld_impl_linux-64 2.40 h55db66e_0
expect libffi 3.4.2 h7f98852_5
expect libgcc-ng 13.2.0 h77fa898_7
expect libgomp 13.2.0 h77fa898_7
expect libnsl 2.0.1 hd590300_0
expect libsqlite 3.45.3 h2797004_0
expect libuuid 2.38.1 h0b41bf4_0
expect libxcrypt 4.4.36 hd590300_1
expect libzlib 1.2.13 hd590300_5
expect ncurses 6.5 h59595ed_0
expect openssl 3.3.0 hd590300_0
expect pip 24.0 pyhd8ed1ab_0
expect python 3.9.19 h0755675_0_cpython
expect readline 8.2 h8228510_1
expect setuptools 69.5.1 pyhd8ed1ab_0
expect tk 8.6.13 noxft_h4845f30_101
expect tzdata 2024a h0c530f3_0
expect wheel 0.43.0 pyhd8ed1ab_1
expect xz 5.2.6 h166bdaf_0

case python 3.9 with add_pip_as_python_dependency
pip on
spec python=3.9
link pip
order python pip
# Tie on version and build number: conda and rattler take the newest timestamp;
# stock libsolv compares build strings.
needs-patch 0001-conda-build-preference.patch
expect _libgcc_mutex 0.1 conda_forge
expect _openmp_mutex 4.5 2_gnu
expect bzip2 1.0.8 hd590300_5
expect ca-certificates 2024.2.2 hbcca054_0
expect ld_impl_linux-64 2.40 h55db66e_0
expect libffi 3.4.2 h7f98852_5
expect libgcc-ng 13.2.0 h77fa898_7
expect libgomp 13.2.0 h77fa898_7
expect libnsl 2.0.1 hd590300_0
expect libsqlite 3.45.3 h2797004_0
expect libuuid 2.38.1 h0b41bf4_0
expect libxcrypt 4.4.36 hd590300_1
expect libzlib 1.2.13 hd590300_5
expect ncurses 6.5 h59595ed_0
expect openssl 3.3.0 hd590300_0
expect pip 24.0 pyhd8ed1ab_0
expect python 3.9.19 h0755675_0_cpython
expect readline 8.2 h8228510_1
expect setuptools 69.5.1 pyhd8ed1ab_0
expect tk 8.6.13 noxft_h4845f30_101
expect tzdata 2024a h0c530f3_0
expect wheel 0.43.0 pyhd8ed1ab_1
expect xz 5.2.6 h166bdaf_0

case openssl<3 with python
spec python=3.9
spec openssl<3
# Tie on version and build number: conda and rattler take the newest timestamp;
# stock libsolv compares build strings.
needs-patch 0001-conda-build-preference.patch
expect _libgcc_mutex 0.1 conda_forge
expect _openmp_mutex 4.5 2_gnu
expect bzip2 1.0.8 hd590300_5
expect ca-certificates 2024.2.2 hbcca054_0
expect ld_impl_linux-64 2.40 h55db66e_0
expect libffi 3.4.2 h7f98852_5
expect libgcc-ng 13.2.0 h77fa898_7
expect libgomp 13.2.0 h77fa898_7
expect libnsl 2.0.1 hd590300_0
expect libsqlite 3.45.3 h2797004_0
expect libuuid 2.38.1 h0b41bf4_0
expect libzlib 1.2.13 hd590300_5
expect ncurses 6.5 h59595ed_0
expect openssl 1.1.1w hd590300_0
expect pip 24.0 pyhd8ed1ab_0
expect python 3.9.15 h47a2c10_0_cpython
expect readline 8.2 h8228510_1
expect setuptools 69.5.1 pyhd8ed1ab_0
expect tk 8.6.13 noxft_h4845f30_101
expect tzdata 2024a h0c530f3_0
expect wheel 0.43.0 pyhd8ed1ab_1
expect xz 5.2.6 h166bdaf_0

case curl
spec curl
expect _libgcc_mutex 0.1 conda_forge
expect _openmp_mutex 4.5 2_gnu
expect c-ares 1.28.1 hd590300_0
expect ca-certificates 2024.2.2 hbcca054_0
expect curl 8.7.1 hca28451_0
expect keyutils 1.6.1 h166bdaf_0
expect krb5 1.21.2 h659d440_0
expect libcurl 8.7.1 hca28451_0
expect libedit 3.1.20191231 he28a2e2_2
expect libev 4.33 hd590300_2
expect libgcc-ng 13.2.0 h77fa898_7
expect libgomp 13.2.0 h77fa898_7
expect libnghttp2 1.58.0 h47da74e_1
expect libssh2 1.11.0 h0841786_0
expect libstdcxx-ng 13.2.0 hc0a3c3a_7
expect libzlib 1.2.13 hd590300_5
expect ncurses 6.5 h59595ed_0
expect openssl 3.3.0 hd590300_0
expect zstd 1.5.6 ha6fb4c9_0

case python=3.9.19 with openssl<3.2 is a clash
spec python=3.9.19
spec openssl<3.2
error python 3.9.19 requires openssl >=3.2.1,<4.0a0, which conflicts with the requested openssl<3.2

case python 3.10 is not in the slice
spec python=3.10
error nothing matches the requested python=3.10

case pypy
spec pypy3.9
# Tie on version and build number: conda and rattler take the newest timestamp;
# stock libsolv compares build strings.
needs-patch 0001-conda-build-preference.patch
expect _libgcc_mutex 0.1 conda_forge
expect _openmp_mutex 4.5 2_gnu
expect bzip2 1.0.8 hd590300_5
expect ca-certificates 2024.2.2 hbcca054_0
expect gdbm 1.18 h0a1914f_2
expect libffi 3.4.2 h7f98852_5
expect libgcc-ng 13.2.0 h77fa898_7
expect libgomp 13.2.0 h77fa898_7
expect libsqlite 3.45.3 h2797004_0
expect libxcb 1.15 h0b41bf4_0
expect libzlib 1.2.13 hd590300_5
expect ncurses 6.5 h59595ed_0
expect openssl 3.3.0 hd590300_0
expect pthread-stubs 0.4 h36c2ea0_1001
expect pypy3.9 7.3.16 hd79ad31_0
expect readline 8.2 h8228510_1
expect sqlite 3.45.3 h2c6b66d_0
expect tk 8.6.13 noxft_h4845f30_101
expect tzdata 2024a h0c530f3_0
expect xorg-kbproto 1.0.7 h7f98852_1002
expect xorg-libx11 1.8.9 h8ee46fc_0
expect xorg-libxau 1.0.11 hd590300_0
expect xorg-libxdmcp 1.1.3 h7f98852_0
expect xorg-xextproto 7.3.0 h0b41bf4_1003
expect xorg-xproto 7.0.31 h7f98852_1007
expect xz 5.2.6 h166bdaf_0
expect zlib 1.2.13 hd590300_5

case explicit subdir bracket
spec tk[subdir=linux-64]
expect _libgcc_mutex 0.1 conda_forge
expect _openmp_mutex 4.5 2_gnu
expect libgcc-ng 13.2.0 h77fa898_7
expect libgomp 13.2.0 h77fa898_7
expect libzlib 1.2.13 hd590300_5
expect tk 8.6.13 noxft_h4845f30_101

case python with setuptools (noarch)
spec python=3.9
spec setuptools
# Tie on version and build number: conda and rattler take the newest timestamp;
# stock libsolv compares build strings.
needs-patch 0001-conda-build-preference.patch
expect _libgcc_mutex 0.1 conda_forge
expect _openmp_mutex 4.5 2_gnu
expect bzip2 1.0.8 hd590300_5
expect ca-certificates 2024.2.2 hbcca054_0
expect ld_impl_linux-64 2.40 h55db66e_0
expect libffi 3.4.2 h7f98852_5
expect libgcc-ng 13.2.0 h77fa898_7
expect libgomp 13.2.0 h77fa898_7
expect libnsl 2.0.1 hd590300_0
expect libsqlite 3.45.3 h2797004_0
expect libuuid 2.38.1 h0b41bf4_0
expect libxcrypt 4.4.36 hd590300_1
expect libzlib 1.2.13 hd590300_5
expect ncurses 6.5 h59595ed_0
expect openssl 3.3.0 hd590300_0
expect pip 24.0 pyhd8ed1ab_0
expect python 3.9.19 h0755675_0_cpython
expect readline 8.2 h8228510_1
expect setuptools 69.5.1 pyhd8ed1ab_0
expect tk 8.6.13 noxft_h4845f30_101
expect tzdata 2024a h0c530f3_0
expect wheel 0.43.0 pyhd8ed1ab_1
expect xz 5.2.6 h166bdaf_0

case osx-arm64 platform
platform osx-arm64
virtual __unix 0 0
virtual __osx 13.0 0
virtual __archspec 1 m1
spec python=3.9
expect bzip2 1.0.8 h93a5062_5
expect ca-certificates 2024.2.2 hf0a4a13_0
expect libffi 3.4.2 h3422bc3_5
expect libsqlite 3.45.3 h091b4b1_0
expect libzlib 1.2.13 h53f4e23_5
expect ncurses 6.5 hb89a1cb_0
expect openssl 3.3.0 h0d3ecfb_0
expect pip 24.0 pyhd8ed1ab_0
expect python 3.9.19 hd7ebdb9_0_cpython
expect readline 8.2 h92ec313_1
expect setuptools 69.5.1 pyhd8ed1ab_0
expect tk 8.6.13 h5083fa2_1
expect tzdata 2024a h0c530f3_0
expect wheel 0.43.0 pyhd8ed1ab_1
expect xz 5.2.6 h57fd34a_0

case md5 bracket picks one exact record
spec setuptools[md5=5a7739d0f57ee64133c9d32e6507c46d]
link setuptools 68.0.0 pyhd8ed1ab_0

case sha256 bracket picks one exact record
spec setuptools[sha256=083a0913f5b56644051f31ac40b4eeea762a88c00aa12437817191b85a753cec]
link setuptools 68.0.0 pyhd8ed1ab_0

case md5 bracket matching nothing
spec setuptools[md5=00000000000000000000000000000000]
error nothing matches the requested setuptools[md5=00000000000000000000000000000000]

case fn bracket
spec python[fn=python-3.9.19-h0755675_0_cpython.conda]
link python 3.9.19 h0755675_0_cpython
