/*
 * json.hpp — a minimal JSON value for writing the results file.
 *
 * Objects keep insertion order (readers see the phases in the order they
 * ran).  Non-finite numbers are written as null, since JSON has no NaN.
 * Write-only by design: the plotting and checking scripts read the files
 * with Perl's JSON::PP.
 */
#ifndef OMENBENCH_JSON_HPP
#define OMENBENCH_JSON_HPP

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace omenbench {

class Json {
public:
    enum class Kind { null, boolean, number, integer, string, array, object };

    Json() = default;
    Json(std::nullptr_t) {}
    Json(bool b) : kind_(Kind::boolean), b_(b) {}
    Json(double d) : kind_(Kind::number), d_(d) {}
    Json(int v) : kind_(Kind::integer), i_(v) {}
    Json(long v) : kind_(Kind::integer), i_(v) {}
    Json(long long v) : kind_(Kind::integer), i_(v) {}
    Json(unsigned v) : kind_(Kind::integer), i_(v) {}
    Json(unsigned long v) : kind_(Kind::integer), i_(static_cast<long long>(v)) {}
    Json(unsigned long long v) : kind_(Kind::integer), i_(static_cast<long long>(v)) {}
    Json(const char* s) : kind_(Kind::string), s_(s) {}
    Json(std::string s) : kind_(Kind::string), s_(std::move(s)) {}

    static Json object() { Json j; j.kind_ = Kind::object; return j; }
    static Json array() { Json j; j.kind_ = Kind::array; return j; }

    /* Object member (added at the end if new, replaced if present). */
    Json& operator[](const std::string& key) {
        kind_ = Kind::object;
        for (auto& m : members_)
            if (m.first == key) return m.second;
        members_.emplace_back(key, Json());
        return members_.back().second;
    }
    void push(Json v) {
        kind_ = Kind::array;
        items_.push_back(std::move(v));
    }

    std::string dump(int indent = 2) const {
        std::string out;
        write(out, indent, 0);
        out += '\n';
        return out;
    }

private:
    static void escape(std::string& out, const std::string& s) {
        out += '"';
        for (unsigned char c : s) {
            switch (c) {
                case '"': out += "\\\""; break;
                case '\\': out += "\\\\"; break;
                case '\n': out += "\\n"; break;
                case '\r': out += "\\r"; break;
                case '\t': out += "\\t"; break;
                default:
                    if (c < 0x20) {
                        char b[8];
                        std::snprintf(b, sizeof b, "\\u%04x", c);
                        out += b;
                    } else {
                        out += static_cast<char>(c);
                    }
            }
        }
        out += '"';
    }

    void write(std::string& out, int indent, int depth) const {
        auto nl = [&](int d) {
            out += '\n';
            out.append(static_cast<std::size_t>(indent * d), ' ');
        };
        switch (kind_) {
            case Kind::null: out += "null"; break;
            case Kind::boolean: out += b_ ? "true" : "false"; break;
            case Kind::integer: out += std::to_string(i_); break;
            case Kind::number:
                if (!std::isfinite(d_)) {
                    out += "null";
                } else {
                    char b[40];
                    std::snprintf(b, sizeof b, "%.10g", d_);
                    out += b;
                }
                break;
            case Kind::string: escape(out, s_); break;
            case Kind::array: {
                /* Arrays of scalars on one line, arrays of containers one per line. */
                bool flat = true;
                for (auto& v : items_)
                    if (v.kind_ == Kind::array || v.kind_ == Kind::object) flat = false;
                out += '[';
                for (std::size_t i = 0; i < items_.size(); ++i) {
                    if (i) out += flat ? ", " : ",";
                    if (!flat) nl(depth + 1);
                    items_[i].write(out, indent, depth + 1);
                }
                if (!flat && !items_.empty()) nl(depth);
                out += ']';
                break;
            }
            case Kind::object:
                out += '{';
                for (std::size_t i = 0; i < members_.size(); ++i) {
                    if (i) out += ',';
                    nl(depth + 1);
                    escape(out, members_[i].first);
                    out += ": ";
                    members_[i].second.write(out, indent, depth + 1);
                }
                if (!members_.empty()) nl(depth);
                out += '}';
                break;
        }
    }

    Kind kind_ = Kind::null;
    bool b_ = false;
    double d_ = 0;
    long long i_ = 0;
    std::string s_;
    std::vector<Json> items_;
    std::vector<std::pair<std::string, Json>> members_;
};

}  // namespace omenbench

#endif /* OMENBENCH_JSON_HPP */
