/*
 * vector_text.cpp — omen_vector_parse(), the text form of a vector.
 *
 * Grammar (ws = space, \t, \n, \r, \v, \f):
 *
 *   input   := ws* "[" ws* ( element ( ws* "," ws* element )* ws* )? "]" ws* NUL
 *   element := decimal | [+-]? ( "inf" | "infinity" | "nan" )   (words case-insensitive)
 *   decimal := [+-]? ( digit+ ( "." digit* )? | "." digit+ ) ( [eE] [+-]? digit+ )?
 *
 * An element is the maximal run of characters up to the next delimiter (ws,
 * ",", "[", "]" or NUL), and the whole run must match.  So "1.2.3", "1e",
 * "--1", "0x1p3" (hexadecimal floats are not accepted), "nan(1)" and "1f"
 * are syntax errors naming the whole run.  The spelled-out non-finite words
 * are recognised so they can be reported as OMEN_ERR_NOT_FINITE rather than
 * as bad syntax.  A decimal is converted by strtof() in the "C" locale
 * (strtof_l), so the result is the correctly rounded float whatever
 * LC_NUMERIC the process runs with; a decimal that overflows (rounds to
 * infinity, e.g. 1e39) is OMEN_ERR_OUT_OF_RANGE; one that underflows to a
 * subnormal or to zero is accepted with that value.
 *
 * Errors are reported for the first problem met scanning left to right:
 *   1. "[" must come first (after ws);
 *   2. for each element, before looking at it: if max_dims elements are
 *      already stored -> OMEN_ERR_LIMIT (so out never receives more than
 *      max_dims floats);
 *   3. the element's run must be non-empty and match element -> OMEN_ERR_SYNTAX;
 *      NaN / infinity words -> OMEN_ERR_NOT_FINITE; overflow -> OMEN_ERR_OUT_OF_RANGE;
 *   4. after an element, "," or "]" -> OMEN_ERR_SYNTAX otherwise;
 *   5. after "]" only ws may follow -> OMEN_ERR_SYNTAX otherwise;
 *   6. then an empty vector "[]" -> OMEN_ERR_LIMIT.
 *
 * Messages are one line, at most OMEN_ERROR_MESSAGE_LEN - 1 bytes: syntax
 * errors read
 *     malformed vector literal: "<input>" (unexpected "," at position 4; expected a number)
 *     malformed vector literal: "<input>" (invalid number "1.2.3" at position 2)
 * with 1-based byte positions.  Echoed text is shortened with "..." to fit,
 * never inside a UTF-8 sequence; control characters and bytes that are not
 * part of a well-formed UTF-8 sequence are escaped (\n, \t, \xNN), so the
 * message is always a single line of valid UTF-8.
 *
 * Safety: the scanner only advances over bytes it has seen to be non-NUL;
 * strtof_l() is called only on a run already known to be a complete decimal
 * followed by a delimiter, so it cannot read further.  No allocation (apart
 * from the one-time creation of the "C" locale object), no exceptions; errno
 * is preserved.
 */
#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#if defined(__GLIBC__)
#include <locale.h>
#define OMEN_HAVE_STRTOF_L 1
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__)
#include <locale.h>
#include <xlocale.h>
#define OMEN_HAVE_STRTOF_L 1
#endif

#include "omendb/omendb.h"

namespace omendb {
namespace {

constexpr std::size_t k_msg_cap = OMEN_ERROR_MESSAGE_LEN; /* bytes including NUL */
constexpr std::size_t k_token_echo = 40;                  /* longest echoed token */

/* True for the whitespace characters of the C locale's isspace(). */
bool is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* True for '0'..'9'. */
bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

/* True for the characters that end an element. */
bool is_delimiter(char c) noexcept {
    return c == '\0' || is_space(c) || c == ',' || c == '[' || c == ']';
}

/* First non-whitespace character at or after p. */
const char* skip_space(const char* p) noexcept {
    while (is_space(*p)) ++p;
    return p;
}

/* What an element's run of characters is. */
enum class element_kind { decimal, nan, infinity, invalid };

/* True if [p, end) equals the lower-case ASCII word, ignoring case. */
bool equals_word(const char* p, const char* end, const char* word) noexcept {
    const std::size_t n = std::strlen(word);
    if (static_cast<std::size_t>(end - p) != n) return false;
    for (std::size_t i = 0; i < n; ++i) {
        char c = p[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != word[i]) return false;
    }
    return true;
}

/* Classifies the run [p, end) against the element grammar. */
element_kind classify(const char* p, const char* end) noexcept {
    const char* q = p;
    if (q < end && (*q == '+' || *q == '-')) ++q;
    const char* body = q;
    std::size_t mantissa_digits = 0;
    while (q < end && is_digit(*q)) ++q, ++mantissa_digits;
    if (q < end && *q == '.') {
        ++q;
        while (q < end && is_digit(*q)) ++q, ++mantissa_digits;
    }
    if (mantissa_digits > 0) {
        if (q < end && (*q == 'e' || *q == 'E')) {
            ++q;
            if (q < end && (*q == '+' || *q == '-')) ++q;
            std::size_t exponent_digits = 0;
            while (q < end && is_digit(*q)) ++q, ++exponent_digits;
            if (exponent_digits == 0) return element_kind::invalid;
        }
        return q == end ? element_kind::decimal : element_kind::invalid;
    }
    if (equals_word(body, end, "nan")) return element_kind::nan;
    if (equals_word(body, end, "inf") || equals_word(body, end, "infinity"))
        return element_kind::infinity;
    return element_kind::invalid;
}

/* strtof() in the "C" locale; *end receives the end of the number read. */
float c_strtof(const char* p, char** end) noexcept {
#if defined(OMEN_HAVE_STRTOF_L)
    static const locale_t c_locale = newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(0));
    if (c_locale != static_cast<locale_t>(0)) return strtof_l(p, end, c_locale);
#endif
    /* No locale object: PostgreSQL backends run with LC_NUMERIC=C anyway. */
    return std::strtof(p, end);
}

/* Converts the decimal run [p, end); false if strtof disagrees about its extent. */
bool convert_decimal(const char* p, const char* end, float* value) noexcept {
    const int saved_errno = errno;
    char* stop = nullptr;
    *value = c_strtof(p, &stop);
    errno = saved_errno;
    return stop == end;
}

/* A bounded, always NUL-terminated string builder over a fixed buffer. */
class message_builder {
  public:
    /* Builds into buf[0 .. cap) (cap >= 1). */
    message_builder(char* buf, std::size_t cap) noexcept : buf_(buf), cap_(cap) { buf_[0] = '\0'; }

    /* Bytes still free (not counting the NUL). */
    std::size_t room() const noexcept { return cap_ - 1 - len_; }

    /* Appends s[0 .. n), cut off if it does not fit. */
    void put(const char* s, std::size_t n) noexcept {
        if (n > room()) n = room();
        std::memcpy(buf_ + len_, s, n);
        len_ += n;
        buf_[len_] = '\0';
    }

    /* Appends a C string, cut off if it does not fit. */
    void put(const char* s) noexcept { put(s, std::strlen(s)); }

  private:
    char* buf_;
    std::size_t cap_;
    std::size_t len_ = 0;
};

/* Length of the well-formed UTF-8 sequence at p (stopping at end or NUL), or 0 if ill-formed. */
std::size_t utf8_sequence_length(const unsigned char* p, const unsigned char* end) noexcept {
    const unsigned char c = p[0];
    std::size_t n;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4;
    else
        return 0;
    for (std::size_t i = 1; i < n; ++i) {
        if ((end != nullptr && p + i >= end) || (p[i] & 0xC0) != 0x80) return 0;
    }
    /* Reject overlong and surrogate / out-of-range forms. */
    if (c == 0xE0 && p[1] < 0xA0) return 0;
    if (c == 0xED && p[1] > 0x9F) return 0;
    if (c == 0xF0 && p[1] < 0x90) return 0;
    if (c == 0xF4 && p[1] > 0x8F) return 0;
    return n;
}

/*
 * The next piece of echoed text at p: either a printable ASCII byte, a whole
 * well-formed UTF-8 sequence, or an escape for anything else.  Writes the
 * piece to piece (>= 5 bytes) and returns its length; *consumed receives the
 * number of input bytes it stands for.
 */
std::size_t next_piece(const char* p, const char* end, char* piece,
                       std::size_t* consumed) noexcept {
    const unsigned char c = static_cast<unsigned char>(*p);
    *consumed = 1;
    if (c >= 0x20 && c < 0x7F) {
        piece[0] = static_cast<char>(c);
        return 1;
    }
    const char* named = nullptr;
    switch (c) {
        case '\n':
            named = "\\n";
            break;
        case '\t':
            named = "\\t";
            break;
        case '\r':
            named = "\\r";
            break;
        default:
            break;
    }
    if (named != nullptr) {
        std::memcpy(piece, named, 2);
        return 2;
    }
    if (c >= 0x80) {
        const std::size_t n = utf8_sequence_length(reinterpret_cast<const unsigned char*>(p),
                                                   reinterpret_cast<const unsigned char*>(end));
        if (n > 0) {
            std::memcpy(piece, p, n);
            *consumed = n;
            return n;
        }
    }
    static const char hex[] = "0123456789ABCDEF";
    piece[0] = '\\';
    piece[1] = 'x';
    piece[2] = hex[c >> 4];
    piece[3] = hex[c & 0xF];
    return 4;
}

/*
 * Appends the text from p up to end (or to the NUL when end is null),
 * escaped, in at most budget bytes; if it does not fit, as much as fits
 * followed by "...".
 */
void put_echo(message_builder& m, const char* p, const char* end, std::size_t budget) noexcept {
    if (budget > m.room()) budget = m.room();
    /* Does all of it fit? Measure, giving up as soon as it exceeds the budget. */
    std::size_t total = 0;
    bool fits = true;
    char piece[8];
    for (const char* q = p; (end == nullptr ? *q != '\0' : q < end);) {
        std::size_t used = 0;
        total += next_piece(q, end, piece, &used);
        q += used;
        if (total > budget) {
            fits = false;
            break;
        }
    }
    const std::size_t limit = fits ? budget : (budget >= 3 ? budget - 3 : 0);
    std::size_t written = 0;
    for (const char* q = p; (end == nullptr ? *q != '\0' : q < end);) {
        std::size_t used = 0;
        const std::size_t n = next_piece(q, end, piece, &used);
        if (written + n > limit) break;
        m.put(piece, n);
        written += n;
        q += used;
    }
    if (!fits) m.put("...", budget >= 3 ? 3 : budget);
}

/* Records status and a formatted message in err (if any); returns status. */
#if defined(__GNUC__) || defined(__clang__)
OmenStatus fail(OmenError* err, OmenStatus status, const char* fmt, ...) noexcept
    __attribute__((format(printf, 3, 4)));
#endif

OmenStatus fail(OmenError* err, OmenStatus status, const char* fmt, ...) noexcept {
    if (err != nullptr) {
        err->status = status;
        va_list ap;
        va_start(ap, fmt);
        std::vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return status;
}

/* Writes `malformed vector literal: "<text>" (<detail>)` to err; returns OMEN_ERR_SYNTAX. */
OmenStatus syntax_error(OmenError* err, const char* text, const char* detail) noexcept {
    if (err == nullptr) return OMEN_ERR_SYNTAX;
    err->status = OMEN_ERR_SYNTAX;
    message_builder m(err->message, k_msg_cap);
    static const char prefix[] = "malformed vector literal: \"";
    const std::size_t detail_len = std::strlen(detail);
    m.put(prefix);
    /* Room left for the echo after the closing `" (`, the detail and `)`. */
    const std::size_t tail = 3 + detail_len + 1;
    put_echo(m, text, nullptr, m.room() > tail ? m.room() - tail : 0);
    m.put("\" (");
    m.put(detail, detail_len);
    m.put(")");
    return OMEN_ERR_SYNTAX;
}

/* Syntax error for an unexpected character at p where `expected` was wanted. */
OmenStatus unexpected(OmenError* err, const char* text, const char* p,
                      const char* expected) noexcept {
    if (err == nullptr) return OMEN_ERR_SYNTAX;
    char detail[128];
    message_builder d(detail, sizeof detail);
    if (*p == '\0') {
        d.put("unexpected end of input");
    } else {
        d.put("unexpected \"");
        char piece[8];
        std::size_t used = 0;
        d.put(piece, next_piece(p, nullptr, piece, &used));
        char where[48];
        std::snprintf(where, sizeof where, "\" at position %zu",
                      static_cast<std::size_t>(p - text) + 1);
        d.put(where);
    }
    d.put("; expected ");
    d.put(expected);
    return syntax_error(err, text, detail);
}

/* Syntax error for an element run [p, end) that is not a number. */
OmenStatus invalid_number(OmenError* err, const char* text, const char* p,
                          const char* end) noexcept {
    if (err == nullptr) return OMEN_ERR_SYNTAX;
    char detail[128];
    message_builder d(detail, sizeof detail);
    d.put("invalid number \"");
    put_echo(d, p, end, k_token_echo);
    char where[48];
    std::snprintf(where, sizeof where, "\" at position %zu",
                  static_cast<std::size_t>(p - text) + 1);
    d.put(where);
    return syntax_error(err, text, detail);
}

/* OMEN_ERR_OUT_OF_RANGE naming the run [p, end). */
OmenStatus out_of_range(OmenError* err, const char* p, const char* end) noexcept {
    if (err == nullptr) return OMEN_ERR_OUT_OF_RANGE;
    err->status = OMEN_ERR_OUT_OF_RANGE;
    message_builder m(err->message, k_msg_cap);
    m.put("\"");
    put_echo(m, p, end, 200);
    m.put("\" is out of range for type real");
    return OMEN_ERR_OUT_OF_RANGE;
}

}  // namespace
}  // namespace omendb

using namespace omendb;

/* Parses "[x, y, ...]" into out; see the grammar and error order at the top of this file. */
extern "C" OmenStatus omen_vector_parse(const char* text, float* out, uint32_t max_dims,
                                        uint32_t* dims, OmenError* err) noexcept {
    if (err != nullptr) {
        err->status = OMEN_OK;
        err->message[0] = '\0';
    }
    if (dims != nullptr) *dims = 0;
    if (text == nullptr || dims == nullptr || (out == nullptr && max_dims > 0))
        return fail(err, OMEN_ERR_INVALID_ARGUMENT, "omen_vector_parse: null argument");

    const char* p = skip_space(text);
    if (*p != '[') return unexpected(err, text, p, "\"[\"");
    p = skip_space(p + 1);

    uint32_t n = 0;
    if (*p == ']') {
        p = skip_space(p + 1);
        if (*p != '\0') return unexpected(err, text, p, "end of input");
        return fail(err, OMEN_ERR_LIMIT, "vector must have at least 1 dimension");
    }
    for (;;) {
        /* p is at the first character of an element. */
        if (n >= max_dims)
            return fail(err, OMEN_ERR_LIMIT, "vector cannot have more than %u dimensions",
                        static_cast<unsigned>(max_dims));
        if (is_delimiter(*p)) return unexpected(err, text, p, "a number");
        const char* start = p;
        while (!is_delimiter(*p)) ++p;

        switch (classify(start, p)) {
            case element_kind::invalid:
                return invalid_number(err, text, start, p);
            case element_kind::nan:
                return fail(err, OMEN_ERR_NOT_FINITE, "NaN not allowed in vector");
            case element_kind::infinity:
                return fail(err, OMEN_ERR_NOT_FINITE, "infinite value not allowed in vector");
            case element_kind::decimal:
                break;
        }
        float value = 0.0f;
        if (!convert_decimal(start, p, &value)) return invalid_number(err, text, start, p);
        if (std::isinf(value)) return out_of_range(err, start, p);
        out[n++] = value;

        p = skip_space(p);
        if (*p == ',') {
            p = skip_space(p + 1);
            continue;
        }
        if (*p == ']') {
            p = skip_space(p + 1);
            if (*p != '\0') return unexpected(err, text, p, "end of input");
            break;
        }
        return unexpected(err, text, p, "\",\" or \"]\"");
    }
    *dims = n;
    return OMEN_OK;
}
