# OmenDB — PostgreSQL extension build (PGXS).
#
# The C shims (src/pg) and the C++ core (src/core) are linked into one
# omendb.so.  The core is C++17 with hidden visibility; each SIMD kernel file
# is compiled with its own architecture flags and picked at load time, so the
# default build runs on any CPU of the target architecture.

EXTENSION = omendb
EXTVERSION = 0.1.0
MODULE_big = omendb
DATA = sql/omendb--$(EXTVERSION).sql

PG_OBJS = \
	src/pg/omen_error.o \
	src/pg/vector.o \
	src/pg/omen.o \
	src/pg/omutils.o \
	src/pg/omsearch.o \
	src/pg/ombuild.o \
	src/pg/ominsert.o \
	src/pg/omscan.o \
	src/pg/omvacuum.o \
	src/pg/omvalidate.o

CORE_OBJS = \
	src/core/distance.o \
	src/core/half.o \
	src/core/int8.o \
	src/core/storage.o \
	src/core/select.o \
	src/core/search.o \
	src/core/builder.o \
	src/core/vector_text.o

ARCH := $(shell uname -m)
ifneq (,$(filter x86_64 amd64 i686,$(ARCH)))
KERNEL_OBJS = src/core/simd/kernels_sse2.o src/core/simd/kernels_avx2.o src/core/simd/kernels_avx512.o \
	src/core/simd/kernels_avx512vnni.o
else ifneq (,$(filter aarch64 arm64,$(ARCH)))
KERNEL_OBJS = src/core/simd/kernels_neon.o
else
KERNEL_OBJS =
endif

OBJS = $(PG_OBJS) $(CORE_OBJS) $(KERNEL_OBJS)

REGRESS = vector_io vector_binary vector_typmod vector_casts vector_functions \
	vector_btree vector_aggregates vector_catalog \
	omen_catalog omen_options omen_build omen_features omen_storage
REGRESS_OPTS = --inputdir=test --outputdir=test --load-extension=$(EXTENSION)

PG_CONFIG ?= pg_config
PG_CPPFLAGS = -I$(srcdir)/include
PG_CFLAGS = -fvisibility=hidden
PG_CXXFLAGS = -std=c++17 -fvisibility=hidden -fvisibility-inlines-hidden -Wextra -Wno-unused-parameter
SHLIB_LINK = -lstdc++ -lpthread -Wl,-Bsymbolic -Wl,--version-script=$(srcdir)/src/exports.map

EXTRA_CLEAN = test/results test/regression.diffs test/regression.out build

PGXS := $(shell $(PG_CONFIG) --pgxs)

# Debian's PostgreSQL would otherwise build LLVM bitcode for every object.
override with_llvm = no

include $(PGXS)

# Per-architecture kernel flags (one translation unit per instruction set).
src/core/simd/kernels_avx2.o: override CXXFLAGS += -mavx2 -mfma -mf16c
src/core/simd/kernels_avx512.o: override CXXFLAGS += -mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma
src/core/simd/kernels_avx512vnni.o: override CXXFLAGS += -mavx512f -mavx512bw -mavx512vnni

# Every object depends on the boundary header; core objects on the core headers.
$(OBJS): include/omendb/omendb.h
$(CORE_OBJS) $(KERNEL_OBJS): $(wildcard include/omendb/*.hpp)
$(PG_OBJS): $(wildcard src/pg/*.h)
