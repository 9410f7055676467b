/*
 * pg.cpp — libpq wrapper and binary encodings (see pg.hpp).
 */
#include "pg.hpp"

#include <cstring>

namespace omenbench {

Result& Result::operator=(Result&& o) noexcept {
    if (this != &o) {
        PQclear(r_);
        r_ = o.r_;
        o.r_ = nullptr;
    }
    return *this;
}

static std::string trim_message(const char* m) {
    std::string s = m != nullptr ? m : "";
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

static std::string shorten(const std::string& sql) {
    return sql.size() <= 200 ? sql : sql.substr(0, 200) + "...";
}

Conn::Conn(const std::string& conninfo) : c_(PQconnectdb(conninfo.c_str())) {
    if (c_ == nullptr) throw PgError("libpq: out of memory while connecting");
    if (PQstatus(c_) != CONNECTION_OK) {
        std::string msg = trim_message(PQerrorMessage(c_));
        PQfinish(c_);
        c_ = nullptr;
        throw PgError("cannot connect to PostgreSQL (" +
                      (conninfo.empty() ? std::string("from PGHOST/PGPORT/PGUSER/PGDATABASE")
                                        : "\"" + conninfo + "\"") +
                      "): " + msg);
    }
}

void Conn::fail(const std::string& what) const {
    throw PgError(what + ": " + trim_message(PQerrorMessage(c_)));
}

void Conn::exec(const std::string& sql) {
    Result r(PQexec(c_, sql.c_str()));
    ExecStatusType st = PQresultStatus(r.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) fail("statement failed: " + shorten(sql));
}

Result Conn::query(const std::string& sql) {
    Result r(PQexec(c_, sql.c_str()));
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) fail("query failed: " + shorten(sql));
    return r;
}

std::string Conn::scalar(const std::string& sql) {
    Result r = query(sql);
    if (r.rows() < 1 || PQnfields(r.get()) < 1) throw PgError("query returned no value: " + shorten(sql));
    return r.text(0, 0);
}

void Conn::prepare(const std::string& name, const std::string& sql, int nparams) {
    Result r(PQprepare(c_, name.c_str(), sql.c_str(), nparams, nullptr));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) fail("cannot prepare: " + shorten(sql));
}

Result Conn::exec_prepared(const std::string& name, int nparams, const char* const* values,
                           const int* lengths) {
    int formats[8];
    if (nparams > 8) throw PgError("exec_prepared: too many parameters");
    for (int i = 0; i < nparams; ++i) formats[i] = 1;
    Result r(PQexecPrepared(c_, name.c_str(), nparams, values, lengths, formats, 1));
    ExecStatusType st = PQresultStatus(r.get());
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) fail("executing " + name + " failed");
    return r;
}

void Conn::copy_begin(const std::string& copy_sql) {
    Result r(PQexec(c_, copy_sql.c_str()));
    if (PQresultStatus(r.get()) != PGRES_COPY_IN) fail("cannot start " + shorten(copy_sql));
}

void Conn::copy_send(const char* data, std::size_t len) {
    while (len > 0) {
        int n = len > (1u << 30) ? (1 << 30) : static_cast<int>(len);
        if (PQputCopyData(c_, data, n) != 1) fail("COPY: sending data failed");
        data += n;
        len -= static_cast<std::size_t>(n);
    }
}

void Conn::copy_end() {
    if (PQputCopyEnd(c_, nullptr) != 1) fail("COPY: ending failed");
    bool ok = true;
    std::string msg;
    for (PGresult* r; (r = PQgetResult(c_)) != nullptr;) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            ok = false;
            msg = trim_message(PQresultErrorMessage(r));
        }
        PQclear(r);
    }
    if (!ok) throw PgError("COPY failed: " + msg);
}

void put_be16(std::string& out, int16_t v) {
    uint16_t u = static_cast<uint16_t>(v);
    char b[2] = {static_cast<char>(u >> 8), static_cast<char>(u)};
    out.append(b, 2);
}

void put_be32(std::string& out, int32_t v) {
    uint32_t u = static_cast<uint32_t>(v);
    char b[4] = {static_cast<char>(u >> 24), static_cast<char>(u >> 16), static_cast<char>(u >> 8),
                 static_cast<char>(u)};
    out.append(b, 4);
}

void put_float_be(std::string& out, float v) {
    int32_t u;
    std::memcpy(&u, &v, 4);
    put_be32(out, u);
}

std::string encode_vector(const float* v, std::size_t dims) {
    std::string s;
    s.reserve(4 + 4 * dims);
    put_be16(s, static_cast<int16_t>(dims));
    put_be16(s, 0);
    for (std::size_t i = 0; i < dims; ++i) put_float_be(s, v[i]);
    return s;
}

int32_t get_be32(const char* p) noexcept {
    const unsigned char* u = reinterpret_cast<const unsigned char*>(p);
    return static_cast<int32_t>((uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) |
                                (uint32_t{u[2]} << 8) | uint32_t{u[3]});
}

void CopyBinaryWriter::header() {
    static const char sig[] = "PGCOPY\n\377\r\n";  /* 11 bytes with the trailing NUL */
    buf_.append(sig, 11);
    put_be32(buf_, 0);  /* flags */
    put_be32(buf_, 0);  /* header extension length */
}

void CopyBinaryWriter::row(int32_t id, const float* v, std::size_t dims) {
    put_be16(buf_, 2);  /* field count */
    put_be32(buf_, 4);
    put_be32(buf_, id);
    put_be32(buf_, static_cast<int32_t>(4 + 4 * dims));
    put_be16(buf_, static_cast<int16_t>(dims));
    put_be16(buf_, 0);
    for (std::size_t i = 0; i < dims; ++i) put_float_be(buf_, v[i]);
}

void CopyBinaryWriter::trailer() {
    put_be16(buf_, -1);
}

std::string CopyBinaryWriter::take() {
    std::string out;
    out.swap(buf_);
    return out;
}

std::string quote_ident(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string sql_literal(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') out += '\'';
        out += c;
    }
    return out + "'";
}

}  // namespace omenbench
