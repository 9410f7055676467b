/*
 * pg.hpp — the little of libpq the benchmark needs, with RAII and exceptions.
 *
 * Every failure becomes a PgError carrying the server's message and the
 * statement that failed, so the driver can stop with one clear line instead
 * of measuring a half-broken setup.  Vectors travel in pgvector's binary wire
 * format (int16 dims, int16 0, dims float4, all big-endian) both in COPY
 * BINARY and as binary parameters of prepared statements, so neither side
 * spends time formatting or parsing text.
 *
 * A Conn is used by one thread at a time (libpq's rule); concurrent clients
 * each open their own.
 */
#ifndef OMENBENCH_PG_HPP
#define OMENBENCH_PG_HPP

#include <libpq-fe.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace omenbench {

struct PgError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/* Owns a PGresult. */
class Result {
public:
    explicit Result(PGresult* r = nullptr) noexcept : r_(r) {}
    Result(Result&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
    Result& operator=(Result&& o) noexcept;
    Result(const Result&) = delete;
    Result& operator=(const Result&) = delete;
    ~Result() { PQclear(r_); }

    PGresult* get() const noexcept { return r_; }
    int rows() const noexcept { return PQntuples(r_); }
    /* Text value of row, column (text-format results only). */
    std::string text(int row, int col) const { return PQgetvalue(r_, row, col); }

private:
    PGresult* r_;
};

/* One connection.  conninfo "" means: libpq's environment (PGHOST, PGPORT, ...). */
class Conn {
public:
    explicit Conn(const std::string& conninfo);
    Conn(Conn&& o) noexcept : c_(o.c_) { o.c_ = nullptr; }
    Conn(const Conn&) = delete;
    Conn& operator=(const Conn&) = delete;
    ~Conn() { PQfinish(c_); }

    /* Runs one or more statements; throws unless all succeed. */
    void exec(const std::string& sql);
    /* Runs a query returning rows (text format). */
    Result query(const std::string& sql);
    /* First column of the first row of a query, as text. */
    std::string scalar(const std::string& sql);

    void prepare(const std::string& name, const std::string& sql, int nparams);
    /*
     * Executes a prepared statement with binary parameters and binary
     * results; throws unless it succeeds.  lengths[i] bytes at values[i].
     */
    Result exec_prepared(const std::string& name, int nparams, const char* const* values,
                         const int* lengths);

    /* COPY ... FROM STDIN (FORMAT binary): begin, send chunks, finish. */
    void copy_begin(const std::string& copy_sql);
    void copy_send(const char* data, std::size_t len);
    void copy_end();

    int backend_pid() const noexcept { return PQbackendPID(c_); }
    int server_version() const noexcept { return PQserverVersion(c_); }
    PGconn* raw() const noexcept { return c_; }

private:
    [[noreturn]] void fail(const std::string& what) const;
    PGconn* c_;
};

/* ---- binary encodings ---- */

/* Appends v as a big-endian integer / float. */
void put_be16(std::string& out, int16_t v);
void put_be32(std::string& out, int32_t v);
void put_float_be(std::string& out, float v);

/* pgvector binary form of dims floats: int16 dims, int16 0, float4[dims] big-endian. */
std::string encode_vector(const float* v, std::size_t dims);

/* Reads a big-endian int32 (an int4 column in a binary result). */
int32_t get_be32(const char* p) noexcept;

/*
 * Builds a COPY BINARY stream of (int4 id, vector) rows.  Call header() once,
 * row() per row, trailer() once; take() hands over what has been built so far
 * so the caller can send it in chunks.
 */
class CopyBinaryWriter {
public:
    void header();
    void row(int32_t id, const float* v, std::size_t dims);
    void trailer();
    std::size_t size() const noexcept { return buf_.size(); }
    std::string take();

private:
    std::string buf_;
};

/* Quotes an SQL identifier. */
std::string quote_ident(const std::string& s);
/* Quotes an SQL string literal (standard_conforming_strings on). */
std::string sql_literal(const std::string& s);

}  // namespace omenbench

#endif /* OMENBENCH_PG_HPP */
