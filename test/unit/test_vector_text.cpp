/*
 * test_vector_text.cpp — unit tests of omen_vector_parse().
 *
 * Three layers:
 *   1. table tests: accepted inputs with their exact values, rejected inputs
 *      with their exact status, and the exact wording of the main messages;
 *   2. a differential fuzz test: 200,000 seeded strings, half drawn from a
 *      hostile alphabet and half mutations of valid literals, each parsed
 *      into a guard-padded buffer and compared with an independent reference
 *      recogniser written here (whole-element std::regex for the number
 *      grammar, the same left-to-right error order as documented in
 *      vector_text.cpp, strtof for range and values): same status, same
 *      dimensions, bit-identical values, guards intact, sane messages;
 *   3. very long inputs (100k characters): no crash, right status, message
 *      stays one line within the limit.
 */
#include <gtest/gtest.h>

#include <clocale>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "omendb/omendb.h"

namespace {

/* Result of one parse into a guard-padded buffer. */
struct parse_result {
    OmenStatus status = OMEN_OK;
    std::vector<float> values;
    std::string message;
    OmenStatus err_status = OMEN_OK;
    bool guards_intact = true;
};

constexpr std::size_t k_guard = 64;
constexpr std::uint32_t k_guard_bits = 0x7FC0BEEFu; /* a NaN the parser never produces */

/* Parses text with max_dims, checking that nothing outside out[0 .. max_dims) is written. */
parse_result parse(const std::string& text, std::uint32_t max_dims) {
    std::vector<float> buf(k_guard + max_dims + k_guard);
    for (float& f : buf) std::memcpy(&f, &k_guard_bits, sizeof f);
    std::uint32_t dims = 12345;
    OmenError err;
    std::memset(&err, 'x', sizeof err);
    parse_result r;
    r.status = omen_vector_parse(text.c_str(), buf.data() + k_guard, max_dims, &dims, &err);
    r.err_status = err.status;
    r.message.assign(err.message, strnlen(err.message, sizeof err.message));
    for (std::size_t i = 0; i < buf.size(); ++i) {
        if (i >= k_guard && i < k_guard + max_dims) continue;
        std::uint32_t bits;
        std::memcpy(&bits, &buf[i], sizeof bits);
        if (bits != k_guard_bits) r.guards_intact = false;
    }
    if (r.status == OMEN_OK)
        r.values.assign(buf.begin() + k_guard, buf.begin() + k_guard + dims);
    else if (dims != 0)
        r.guards_intact = false; /* *dims must be 0 on error */
    return r;
}

/* True if the message is one line of at most 255 bytes, NUL-terminated. */
bool message_is_sane(const parse_result& r) {
    if (r.message.size() >= OMEN_ERROR_MESSAGE_LEN) return false;
    if (r.message.find('\n') != std::string::npos || r.message.find('\r') != std::string::npos)
        return false;
    return r.status == OMEN_OK ? r.message.empty() : !r.message.empty();
}

/* True if s is well-formed UTF-8. */
bool valid_utf8(const std::string& s) {
    for (std::size_t i = 0; i < s.size();) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80                   ? 1
                        : (c >= 0xC2 && c <= 0xDF) ? 2
                        : (c >= 0xE0 && c <= 0xEF) ? 3
                        : (c >= 0xF0 && c <= 0xF4) ? 4
                                                   : 0;
        if (n == 0 || i + n > s.size()) return false;
        for (std::size_t k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        i += n;
    }
    return true;
}

/* Bitwise float equality (distinguishes -0 from 0). */
bool same_bits(float a, float b) {
    return std::memcmp(&a, &b, sizeof a) == 0;
}

/* ------------------------------------------------------------------------
 * Reference recogniser — deliberately written differently from the parser:
 * it splits on delimiters and matches whole elements with std::regex.
 * ------------------------------------------------------------------------ */

struct reference_result {
    OmenStatus status = OMEN_OK;
    std::vector<float> values;
};

/* The reference implementation of the grammar and error order. */
reference_result reference_parse(const std::string& s, std::uint32_t max_dims) {
    static const std::regex number(R"([+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?)");
    static const std::regex non_finite(R"([+-]?(inf|infinity|nan))", std::regex::icase);
    static const std::string space = " \t\n\r\v\f";
    static const std::string delimiters = " \t\n\r\v\f,[]";
    reference_result r;
    auto fail = [&r](OmenStatus st) {
        r.status = st;
        r.values.clear();
        return r;
    };
    std::size_t i = s.find_first_not_of(space);
    if (i == std::string::npos || s[i] != '[') return fail(OMEN_ERR_SYNTAX);
    i = s.find_first_not_of(space, i + 1);
    if (i != std::string::npos && s[i] == ']') {
        if (s.find_first_not_of(space, i + 1) != std::string::npos) return fail(OMEN_ERR_SYNTAX);
        return fail(OMEN_ERR_LIMIT);
    }
    for (;;) {
        if (r.values.size() >= max_dims) return fail(OMEN_ERR_LIMIT);
        if (i == std::string::npos) return fail(OMEN_ERR_SYNTAX);
        std::size_t end = s.find_first_of(delimiters, i);
        if (end == std::string::npos) end = s.size();
        const std::string word = s.substr(i, end - i);
        if (word.empty()) return fail(OMEN_ERR_SYNTAX);
        if (std::regex_match(word, non_finite)) return fail(OMEN_ERR_NOT_FINITE);
        if (!std::regex_match(word, number)) return fail(OMEN_ERR_SYNTAX);
        const float v = std::strtof(word.c_str(), nullptr);
        if (std::isinf(v)) return fail(OMEN_ERR_OUT_OF_RANGE);
        r.values.push_back(v);
        i = s.find_first_not_of(space, end);
        if (i == std::string::npos) return fail(OMEN_ERR_SYNTAX);
        if (s[i] == ',') {
            i = s.find_first_not_of(space, i + 1);
            continue;
        }
        if (s[i] == ']') {
            if (s.find_first_not_of(space, i + 1) != std::string::npos)
                return fail(OMEN_ERR_SYNTAX);
            return r;
        }
        return fail(OMEN_ERR_SYNTAX);
    }
}

/* ------------------------------------------------------------------------
 * Table tests
 * ------------------------------------------------------------------------ */

struct accepted_case {
    const char* text;
    std::vector<float> values;
};

TEST(VectorParse, AcceptsValidLiterals) {
    const float flt_max = 3.40282347e38f;
    const std::vector<accepted_case> cases = {
        {"[1,2,3]", {1, 2, 3}},
        {"  [ 1 , 2 ,3 ]  ", {1, 2, 3}},
        {"\t[\n1\r,\v2\f]\n", {1, 2}},
        {"[1.5]", {1.5f}},
        {"[-1.5e-3]", {-1.5e-3f}},
        {"[+2]", {2}},
        {"[.5]", {0.5f}},
        {"[5.]", {5}},
        {"[-.25E+2]", {-25}},
        {"[1E5,1e+5,1e-5]", {1e5f, 1e5f, 1e-5f}},
        {"[007]", {7}},
        {"[0.1,0.2,0.3]", {0.1f, 0.2f, 0.3f}},
        {"[3.4028235e38, -3.4028235e38]", {flt_max, -flt_max}},
        {"[3.40282356e38]", {flt_max}}, /* still rounds down to FLT_MAX */
        {"[1e-45]", {1e-45f}},          /* smallest subnormal */
        {"[1e-50]", {0.0f}},            /* underflow to zero is accepted */
        {"[123456789012345678901234567890]", {1.23456789e29f}},
        {"[16777217]", {16777216.0f}}, /* round to nearest even */
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        const parse_result r = parse(c.text, OMEN_MAX_DIMS);
        ASSERT_EQ(r.status, OMEN_OK) << r.message;
        EXPECT_EQ(r.err_status, OMEN_OK);
        EXPECT_TRUE(r.message.empty());
        EXPECT_TRUE(r.guards_intact);
        ASSERT_EQ(r.values.size(), c.values.size());
        for (std::size_t i = 0; i < c.values.size(); ++i)
            EXPECT_TRUE(same_bits(r.values[i], c.values[i]))
                << r.values[i] << " vs " << c.values[i];
    }
}

TEST(VectorParse, KeepsNegativeZero) {
    const parse_result r = parse("[-0, 0, -0.0e5]", 3);
    ASSERT_EQ(r.status, OMEN_OK);
    EXPECT_TRUE(std::signbit(r.values[0]));
    EXPECT_FALSE(std::signbit(r.values[1]));
    EXPECT_TRUE(std::signbit(r.values[2]));
}

struct rejected_case {
    const char* text;
    std::uint32_t max_dims;
    OmenStatus status;
};

TEST(VectorParse, RejectsInvalidLiterals) {
    const std::vector<rejected_case> cases = {
        /* syntax */
        {"", 16, OMEN_ERR_SYNTAX},
        {"   ", 16, OMEN_ERR_SYNTAX},
        {"1,2,3", 16, OMEN_ERR_SYNTAX},
        {"[1,2,3", 16, OMEN_ERR_SYNTAX},
        {"[1,2,3 ", 16, OMEN_ERR_SYNTAX},
        {"[1,2,", 16, OMEN_ERR_SYNTAX},
        {"[", 16, OMEN_ERR_SYNTAX},
        {"]", 16, OMEN_ERR_SYNTAX},
        {"[1,2,3]x", 16, OMEN_ERR_SYNTAX},
        {"[1,2,3] ]", 16, OMEN_ERR_SYNTAX},
        {"[1],[2]", 16, OMEN_ERR_SYNTAX},
        {"[1,,2]", 16, OMEN_ERR_SYNTAX},
        {"[,1]", 16, OMEN_ERR_SYNTAX},
        {"[1,]", 16, OMEN_ERR_SYNTAX},
        {"[1 2]", 16, OMEN_ERR_SYNTAX},
        {"[1;2]", 16, OMEN_ERR_SYNTAX},
        {"{1,2}", 16, OMEN_ERR_SYNTAX},
        {"[[1]]", 16, OMEN_ERR_SYNTAX},
        {"[1[2]", 16, OMEN_ERR_SYNTAX},
        {"[1.2.3]", 16, OMEN_ERR_SYNTAX},
        {"[1e]", 16, OMEN_ERR_SYNTAX},
        {"[1e+]", 16, OMEN_ERR_SYNTAX},
        {"[1e5.5]", 16, OMEN_ERR_SYNTAX},
        {"[--1]", 16, OMEN_ERR_SYNTAX},
        {"[+-1]", 16, OMEN_ERR_SYNTAX},
        {"[-]", 16, OMEN_ERR_SYNTAX},
        {"[+]", 16, OMEN_ERR_SYNTAX},
        {"[.]", 16, OMEN_ERR_SYNTAX},
        {"[-.]", 16, OMEN_ERR_SYNTAX},
        {"[.e1]", 16, OMEN_ERR_SYNTAX},
        {"[e5]", 16, OMEN_ERR_SYNTAX},
        {"[0x1p3]", 16, OMEN_ERR_SYNTAX},
        {"[0x10]", 16, OMEN_ERR_SYNTAX},
        {"[1f]", 16, OMEN_ERR_SYNTAX},
        {"[1_000]", 16, OMEN_ERR_SYNTAX},
        {"[nan(1)]", 16, OMEN_ERR_SYNTAX},
        {"[infx]", 16, OMEN_ERR_SYNTAX},
        {"[infinit]", 16, OMEN_ERR_SYNTAX},
        {"[in]", 16, OMEN_ERR_SYNTAX},
        {"[nana]", 16, OMEN_ERR_SYNTAX},
        {"[\xEF\xBC\x91]", 16, OMEN_ERR_SYNTAX}, /* fullwidth digit one */
        {"[1\xC2\xA0]", 16, OMEN_ERR_SYNTAX},    /* no-break space is not whitespace */
        {"[]x", 16, OMEN_ERR_SYNTAX},
        {"[ ] [", 16, OMEN_ERR_SYNTAX},
        {"[ 1 ,\n]", 16, OMEN_ERR_SYNTAX},
        {"[1e39x]", 16, OMEN_ERR_SYNTAX}, /* the whole run is checked before its value */
        {"[nanx, 1e39]", 16, OMEN_ERR_SYNTAX},
        /* limits */
        {"[]", 16, OMEN_ERR_LIMIT},
        {"[ ]", 16, OMEN_ERR_LIMIT},
        {" [ \t ] \n", 16, OMEN_ERR_LIMIT},
        {"[1,2,3]", 2, OMEN_ERR_LIMIT},
        {"[1]", 0, OMEN_ERR_LIMIT},
        {"[1,2,x]", 2, OMEN_ERR_LIMIT}, /* limit is checked before the element */
        /* non-finite */
        {"[nan]", 16, OMEN_ERR_NOT_FINITE},
        {"[NaN]", 16, OMEN_ERR_NOT_FINITE},
        {"[-nan]", 16, OMEN_ERR_NOT_FINITE},
        {"[inf]", 16, OMEN_ERR_NOT_FINITE},
        {"[+inf]", 16, OMEN_ERR_NOT_FINITE},
        {"[-Infinity]", 16, OMEN_ERR_NOT_FINITE},
        {"[INF]", 16, OMEN_ERR_NOT_FINITE},
        {"[1, NaN]", 16, OMEN_ERR_NOT_FINITE},
        {"[1, inf, 1e39]", 16, OMEN_ERR_NOT_FINITE},
        /* out of range */
        {"[1e39]", 16, OMEN_ERR_OUT_OF_RANGE},
        {"[-1e39]", 16, OMEN_ERR_OUT_OF_RANGE},
        {"[3.4028236e38]", 16, OMEN_ERR_OUT_OF_RANGE},
        {"[1e999999999999999999]", 16, OMEN_ERR_OUT_OF_RANGE},
        {"[340282366920938463463374607431768211456]", 16, OMEN_ERR_OUT_OF_RANGE}, /* 2^128 */
        {"[1, 1e39, nan]", 16, OMEN_ERR_OUT_OF_RANGE},
        {"[1e39", 16, OMEN_ERR_OUT_OF_RANGE}, /* left to right: before the missing "]" */
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(std::string("\"") + c.text + "\" max_dims " + std::to_string(c.max_dims));
        const parse_result r = parse(c.text, c.max_dims);
        EXPECT_EQ(r.status, c.status) << r.message;
        EXPECT_EQ(r.err_status, c.status);
        EXPECT_TRUE(r.guards_intact);
        EXPECT_TRUE(message_is_sane(r)) << r.message;
        /* The reference recogniser agrees on every table entry too. */
        EXPECT_EQ(reference_parse(c.text, c.max_dims).status, c.status);
    }
}

TEST(VectorParse, MaxDimsBoundary) {
    std::string text = "[";
    for (int i = 0; i < OMEN_MAX_DIMS; ++i) text += (i ? ",1" : "1");
    const parse_result ok = parse(text + "]", OMEN_MAX_DIMS);
    ASSERT_EQ(ok.status, OMEN_OK);
    EXPECT_EQ(ok.values.size(), static_cast<std::size_t>(OMEN_MAX_DIMS));
    EXPECT_TRUE(ok.guards_intact);
    const parse_result over = parse(text + ",1]", OMEN_MAX_DIMS);
    EXPECT_EQ(over.status, OMEN_ERR_LIMIT);
    EXPECT_EQ(over.message, "vector cannot have more than 16000 dimensions");
    EXPECT_TRUE(over.guards_intact);
}

TEST(VectorParse, Messages) {
    EXPECT_EQ(
        parse("[1,,2]", 16).message,
        "malformed vector literal: \"[1,,2]\" (unexpected \",\" at position 4; expected a number)");
    EXPECT_EQ(parse("[1.2.3]", 16).message,
              "malformed vector literal: \"[1.2.3]\" (invalid number \"1.2.3\" at position 2)");
    EXPECT_EQ(parse("[1 2]", 16).message,
              "malformed vector literal: \"[1 2]\" (unexpected \"2\" at position 4; expected \",\" "
              "or \"]\")");
    EXPECT_EQ(parse("1", 16).message,
              "malformed vector literal: \"1\" (unexpected \"1\" at position 1; expected \"[\")");
    EXPECT_EQ(
        parse("[1", 16).message,
        "malformed vector literal: \"[1\" (unexpected end of input; expected \",\" or \"]\")");
    EXPECT_EQ(parse("[1]x", 16).message,
              "malformed vector literal: \"[1]x\" (unexpected \"x\" at position 4; expected end of "
              "input)");
    EXPECT_EQ(parse("[1,\n]", 16).message,
              "malformed vector literal: \"[1,\\n]\" (unexpected \"]\" at position 5; expected a "
              "number)");
    EXPECT_EQ(parse("[1e39]", 16).message, "\"1e39\" is out of range for type real");
    EXPECT_EQ(parse("[-1e39]", 16).message, "\"-1e39\" is out of range for type real");
    EXPECT_EQ(parse("[nan]", 16).message, "NaN not allowed in vector");
    EXPECT_EQ(parse("[-Inf]", 16).message, "infinite value not allowed in vector");
    EXPECT_EQ(parse("[]", 16).message, "vector must have at least 1 dimension");
    EXPECT_EQ(parse("[1,2,3]", 2).message, "vector cannot have more than 2 dimensions");
    EXPECT_EQ(parse("[\x01]", 16).message,
              "malformed vector literal: \"[\\x01]\" (invalid number \"\\x01\" at position 2)");
}

TEST(VectorParse, LongMessagesAreTruncatedSafely) {
    /* Long input: echoed with "...", the detail survives intact. */
    const std::string junk = "[1," + std::string(1000, '9') + "x]";
    const parse_result r = parse(junk, 16);
    EXPECT_EQ(r.status, OMEN_ERR_SYNTAX);
    EXPECT_TRUE(message_is_sane(r)) << r.message;
    EXPECT_NE(r.message.find("...\" (invalid number \"999"), std::string::npos) << r.message;
    EXPECT_NE(r.message.find("...\" at position 4)"), std::string::npos) << r.message;
    EXPECT_EQ(r.message.back(), ')');

    /* Multi-byte characters are never cut in half; control characters are escaped. */
    std::string utf;
    for (int i = 0; i < 300; ++i)
        utf += (i % 3 == 0) ? "\xC3\xA9" : (i % 3 == 1 ? "\xE2\x82\xAC" : "\n");
    for (const std::string& s : {"[" + utf + "]", "[1," + utf + "]", utf}) {
        const parse_result u = parse(s, 16);
        EXPECT_EQ(u.status, OMEN_ERR_SYNTAX);
        EXPECT_TRUE(message_is_sane(u)) << u.message;
        EXPECT_TRUE(valid_utf8(u.message)) << u.message;
    }
    /* Ill-formed UTF-8 bytes are escaped. */
    const parse_result bad = parse("[\xC3\x28]", 16);
    EXPECT_TRUE(valid_utf8(bad.message)) << bad.message;
    EXPECT_NE(bad.message.find("\\xC3"), std::string::npos) << bad.message;

    /* A long out-of-range number. */
    const parse_result big = parse("[1" + std::string(500, '0') + "]", 16);
    EXPECT_EQ(big.status, OMEN_ERR_OUT_OF_RANGE);
    EXPECT_TRUE(message_is_sane(big)) << big.message;
    EXPECT_NE(big.message.find("...\" is out of range for type real"), std::string::npos);
}

TEST(VectorParse, NullArgumentsAndNullError) {
    float out[4];
    std::uint32_t dims = 7;
    OmenError err;
    EXPECT_EQ(omen_vector_parse(nullptr, out, 4, &dims, &err), OMEN_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(err.status, OMEN_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(dims, 0u);
    EXPECT_EQ(omen_vector_parse("[1]", nullptr, 4, &dims, &err), OMEN_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(omen_vector_parse("[1]", out, 4, nullptr, &err), OMEN_ERR_INVALID_ARGUMENT);
    /* out may be null when nothing may be written. */
    EXPECT_EQ(omen_vector_parse("[1]", nullptr, 0, &dims, &err), OMEN_ERR_LIMIT);
    /* err is optional. */
    EXPECT_EQ(omen_vector_parse("[1,2]", out, 4, &dims, nullptr), OMEN_OK);
    EXPECT_EQ(dims, 2u);
    EXPECT_EQ(omen_vector_parse("[1,,2]", out, 4, &dims, nullptr), OMEN_ERR_SYNTAX);
    EXPECT_EQ(omen_vector_parse("[1e39]", out, 4, &dims, nullptr), OMEN_ERR_OUT_OF_RANGE);
    EXPECT_EQ(omen_vector_parse("[nan]", out, 4, &dims, nullptr), OMEN_ERR_NOT_FINITE);
    EXPECT_EQ(omen_vector_parse("[]", out, 4, &dims, nullptr), OMEN_ERR_LIMIT);
}

TEST(VectorParse, LocaleIndependent) {
    const char* names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8", "ru_RU.UTF-8"};
    const std::string saved = std::setlocale(LC_NUMERIC, nullptr);
    const char* used = nullptr;
    for (const char* n : names)
        if (std::setlocale(LC_NUMERIC, n) != nullptr) {
            used = n;
            break;
        }
    if (used == nullptr) GTEST_SKIP() << "no locale with a decimal comma installed";
    const parse_result r = parse("[1.5, -2.25e1]", 4);
    const parse_result comma = parse("[1,5]", 4);
    std::setlocale(LC_NUMERIC, saved.c_str());
    ASSERT_EQ(r.status, OMEN_OK) << used << ": " << r.message;
    EXPECT_EQ(r.values, (std::vector<float>{1.5f, -22.5f}));
    ASSERT_EQ(comma.status, OMEN_OK);
    EXPECT_EQ(comma.values, (std::vector<float>{1.0f, 5.0f}));
}

/* ------------------------------------------------------------------------
 * Long inputs
 * ------------------------------------------------------------------------ */

TEST(VectorParse, VeryLongInputs) {
    std::string ones = "[";
    for (int i = 0; i < 50000; ++i) ones += "1,";
    ones += "1]"; /* 100,003 characters, 50,001 elements */
    EXPECT_EQ(parse(ones, OMEN_MAX_DIMS).status, OMEN_ERR_LIMIT);
    const parse_result all = parse(ones, 60000);
    EXPECT_EQ(all.status, OMEN_OK);
    EXPECT_EQ(all.values.size(), 50001u);
    EXPECT_TRUE(all.guards_intact);

    const parse_result commas = parse("[" + std::string(100000, ',') + "]", OMEN_MAX_DIMS);
    EXPECT_EQ(commas.status, OMEN_ERR_SYNTAX);
    EXPECT_TRUE(message_is_sane(commas));
    EXPECT_NE(commas.message.find("at position 2"), std::string::npos) << commas.message;

    const parse_result spaces =
        parse("[" + std::string(100000, ' ') + "1" + std::string(100000, '\t') + "]", 4);
    EXPECT_EQ(spaces.status, OMEN_OK);
    EXPECT_EQ(spaces.values, std::vector<float>{1.0f});

    EXPECT_EQ(parse("[1" + std::string(100000, '0') + "]", 4).status, OMEN_ERR_OUT_OF_RANGE);
    EXPECT_EQ(parse("[1" + std::string(100000, '0') + "e-100000]", 4).values,
              std::vector<float>{1.0f});
    const parse_result tiny = parse("[0." + std::string(100000, '0') + "1]", 4);
    EXPECT_EQ(tiny.status, OMEN_OK);
    EXPECT_EQ(tiny.values, std::vector<float>{0.0f});
    EXPECT_EQ(parse("[" + std::string(100000, '1'), 4).status, OMEN_ERR_OUT_OF_RANGE);
    EXPECT_EQ(parse("[" + std::string(100000, '.'), 4).status, OMEN_ERR_SYNTAX);
    EXPECT_EQ(parse(std::string(100000, '['), 4).status, OMEN_ERR_SYNTAX);
    EXPECT_EQ(parse("[" + std::string(100000, '-') + "1]", 4).status, OMEN_ERR_SYNTAX);

    std::mt19937_64 rng(1234);
    const std::string alphabet = "[]{},.-+eE0123456789 \t\nnaNinfINF x\\\"";
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
    for (int t = 0; t < 20; ++t) {
        std::string s = "[";
        for (int i = 0; i < 100000; ++i) s += alphabet[pick(rng)];
        const parse_result r = parse(s, OMEN_MAX_DIMS);
        EXPECT_NE(r.status, OMEN_OK);
        EXPECT_TRUE(r.guards_intact);
        EXPECT_TRUE(message_is_sane(r)) << r.message;
    }
}

/* ------------------------------------------------------------------------
 * Differential fuzzing against the reference recogniser
 * ------------------------------------------------------------------------ */

/* A random valid literal with random spacing and number spellings. */
std::string random_valid_literal(std::mt19937_64& rng) {
    static const char* spaces[] = {"", "", "", " ", "  ", "\t", "\n", " \r\n"};
    std::uniform_int_distribution<int> sp(0, 7), count(1, 6), form(0, 9), digit(0, 9);
    std::uniform_real_distribution<double> value(-1000.0, 1000.0);
    std::uniform_int_distribution<int> exp10(-50, 50);
    std::uniform_int_distribution<int> percent(0, 99);
    static const char* words[] = {"nan", "NaN", "-nan", "inf", "-Inf", "+INFINITY", "infinity"};
    std::uniform_int_distribution<std::size_t> word(0, sizeof words / sizeof words[0] - 1);
    std::string s = spaces[sp(rng)];
    s += "[";
    const int n = count(rng);
    char buf[64];
    for (int i = 0; i < n; ++i) {
        s += spaces[sp(rng)];
        if (percent(rng) < 6) {
            s += words[word(rng)];
        } else
            switch (form(rng)) {
                case 0:
                    std::snprintf(buf, sizeof buf, "%d", digit(rng));
                    break;
                case 1:
                    std::snprintf(buf, sizeof buf, "%.9g", value(rng));
                    break;
                case 2:
                    std::snprintf(buf, sizeof buf, "%e", value(rng) * std::pow(10.0, exp10(rng)));
                    break;
                case 3:
                    std::snprintf(buf, sizeof buf, "%.3f", value(rng));
                    break;
                case 4:
                    std::snprintf(buf, sizeof buf, ".%d", digit(rng));
                    break;
                case 5:
                    std::snprintf(buf, sizeof buf, "+%d.", digit(rng));
                    break;
                case 6:
                    std::snprintf(buf, sizeof buf, "%dE%+d", digit(rng), exp10(rng));
                    break;
                case 7:
                    std::snprintf(buf, sizeof buf, "-%d.%de-%d", digit(rng), digit(rng),
                                  digit(rng));
                    break;
                case 8:
                    std::snprintf(buf, sizeof buf, "%.17g", value(rng) * 1e36);
                    break;
                default:
                    std::snprintf(buf, sizeof buf, "%g", value(rng) * 1e-40);
                    break;
            }
        s += buf;
        s += spaces[sp(rng)];
        if (i + 1 < n) s += ",";
    }
    s += "]";
    s += spaces[sp(rng)];
    return s;
}

TEST(VectorParse, FuzzAgainstReference) {
    std::mt19937_64 rng(0x5EED0FDB);
    const std::string alphabet = "[]{},.-+eE0123456789 \t\nnaNinfINF x\\\"";
    const std::string extra = std::string("\x01\x7f\xc3\xa9\xff", 5) + "fFyYtT";
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
    std::uniform_int_distribution<std::size_t> pick_extra(0, extra.size() - 1);
    std::uniform_int_distribution<int> length(0, 40), percent(0, 99), mutations(0, 3), op(0, 4);
    const std::uint32_t limits[] = {0, 1, 2, 3, 5, 16, 1000};
    std::uniform_int_distribution<std::size_t> pick_limit(0, sizeof limits / sizeof limits[0] - 1);

    int accepted = 0, agreed = 0;
    int by_status[OMEN_ERR_INTERNAL + 1] = {};
    constexpr int k_cases = 200000;
    for (int t = 0; t < k_cases; ++t) {
        std::string s;
        if (t % 2 == 0) {
            /* random string over the hostile alphabet, usually bracketed */
            if (percent(rng) < 80) s += '[';
            const int len = length(rng);
            for (int i = 0; i < len; ++i)
                s += percent(rng) < 3 ? extra[pick_extra(rng)] : alphabet[pick(rng)];
            if (percent(rng) < 70) s += ']';
        } else {
            /* a valid literal with a few random edits */
            s = random_valid_literal(rng);
            const int m = mutations(rng);
            for (int k = 0; k < m && !s.empty(); ++k) {
                std::uniform_int_distribution<std::size_t> at(0, s.size() - 1);
                const std::size_t pos = at(rng);
                switch (op(rng)) {
                    case 0:
                        s.insert(pos, 1, alphabet[pick(rng)]);
                        break;
                    case 1:
                        s.erase(pos, 1);
                        break;
                    case 2:
                        s[pos] = alphabet[pick(rng)];
                        break;
                    case 3:
                        s.insert(pos, s.substr(pos, 1 + pos % 5));
                        break;
                    default:
                        s.resize(pos);
                        break;
                }
            }
        }
        const std::uint32_t max_dims = limits[pick_limit(rng)];
        const parse_result got = parse(s, max_dims);
        const reference_result want = reference_parse(s, max_dims);
        SCOPED_TRACE("input \"" + s + "\" max_dims " + std::to_string(max_dims));
        ASSERT_TRUE(got.guards_intact);
        ASSERT_EQ(got.status, want.status) << got.message;
        ASSERT_EQ(got.err_status, got.status);
        ASSERT_TRUE(message_is_sane(got)) << got.message;
        ASSERT_EQ(got.values.size(), want.values.size());
        for (std::size_t i = 0; i < want.values.size(); ++i)
            ASSERT_TRUE(same_bits(got.values[i], want.values[i]))
                << got.values[i] << " vs " << want.values[i];
        ++agreed;
        ++by_status[got.status];
        if (got.status == OMEN_OK) ++accepted;
    }
    EXPECT_EQ(agreed, k_cases);
    /* The generator must actually reach every outcome, or the test proves little. */
    EXPECT_GT(accepted, k_cases / 20);
    EXPECT_GT(by_status[OMEN_ERR_SYNTAX], k_cases / 10);
    EXPECT_GT(by_status[OMEN_ERR_LIMIT], 100);
    EXPECT_GT(by_status[OMEN_ERR_NOT_FINITE], 100);
    EXPECT_GT(by_status[OMEN_ERR_OUT_OF_RANGE], 100);
    std::printf("fuzz: %d accepted, %d syntax, %d limit, %d not finite, %d out of range\n",
                accepted, by_status[OMEN_ERR_SYNTAX], by_status[OMEN_ERR_LIMIT],
                by_status[OMEN_ERR_NOT_FINITE], by_status[OMEN_ERR_OUT_OF_RANGE]);
}

}  // namespace
