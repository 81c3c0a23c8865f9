#pragma once
// Internal to core/text: a string -> list table (of indices, or small records) looked up by std::string_view, shared by
// the cue matcher (cues.cpp) and the phrase sets of automated.cpp. Open addressing over a
// power-of-two table with an inline FNV-1a hash: std::unordered_map hashed each looked-up word
// through _Hash_bytes in a find that was not inlined (a sixth of find_cues). Each list keeps the
// order its entries were added in.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ilc::text::detail {

template <class T = std::size_t>
class WordIndex {
public:
    std::vector<T>& operator[](std::string_view key) {
        if ((used_ + 1) * 2 > slots_.size()) grow();
        Slot& s = probe(key);
        if (!s.used) {
            s.used = true;
            s.key = std::string(key);
            ++used_;
        }
        return s.list;
    }
    const std::vector<T>* find(std::string_view key) const {
        if (slots_.empty()) return nullptr;
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t i = hash(key) & mask;; i = (i + 1) & mask) {
            const Slot& s = slots_[i];
            if (!s.used) return nullptr;
            if (s.key == key) return &s.list;
        }
    }

private:
    struct Slot {
        bool used = false;
        std::string key;
        std::vector<T> list;
    };
    static std::size_t hash(std::string_view k) {
        std::uint64_t h = 1469598103934665603ull;
        for (char c : k) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
        return static_cast<std::size_t>(h ^ (h >> 29));
    }
    Slot& probe(std::string_view key) {
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t i = hash(key) & mask;; i = (i + 1) & mask)
            if (!slots_[i].used || slots_[i].key == key) return slots_[i];
    }
    void grow() {
        std::vector<Slot> old = std::move(slots_);
        slots_ = std::vector<Slot>(std::max<std::size_t>(64, old.size() * 2));
        for (Slot& s : old)
            if (s.used) probe(s.key) = std::move(s);
    }
    std::vector<Slot> slots_;
    std::size_t used_ = 0;
};

}  // namespace ilc::text::detail
