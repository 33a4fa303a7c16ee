// MatchPostings: PromQL's matcher semantics over an inverted index, shared by every tier that
// keeps postings (the head's in-memory index, each warm partition). Matchers that reject the
// empty value select the union of the postings of the values they accept, intersected;
// matchers that accept it then subtract the series whose value they reject (a series without
// the label has the empty value and stays). Stateless; thread-safety is the callbacks'.
#pragma once

#include <functional>
#include <roaring/roaring.hh>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/matcher.h"

namespace strata::storage::index {

// Postings of one label pair (empty when absent).
using PostingsOf = std::function<Result<Roaring>(std::string_view name, std::string_view value)>;
// Union of the postings of every value of `name` for which pred(value) holds.
using UnionWhere = std::function<Result<Roaring>(
    std::string_view name, const std::function<bool(std::string_view value)>& pred)>;

// REQUIRES: some matcher rejects the empty value (CheckSelectorMatchers).
inline Result<Roaring> MatchPostings(const model::Matchers& matchers, const PostingsOf& get,
                                     const UnionWhere& union_where) {
  std::vector<const model::Matcher*> ordered;
  for (const auto& m : matchers) {
    if (!m.MatchesEmpty()) ordered.push_back(&m);
  }
  for (const auto& m : matchers) {
    if (m.MatchesEmpty()) ordered.push_back(&m);
  }
  Roaring result;
  bool first = true;
  for (const model::Matcher* m : ordered) {
    if (!m->MatchesEmpty()) {
      Roaring part;
      if (m->type() == model::MatchType::kEqual) {
        STRATA_ASSIGN_OR_RETURN(part, get(m->name(), m->value()));
      } else {
        STRATA_ASSIGN_OR_RETURN(
            part, union_where(m->name(), [m](std::string_view v) { return m->Matches(v); }));
      }
      if (first) {
        result = std::move(part);
        first = false;
      } else {
        result &= part;
      }
    } else {
      STRATA_ASSIGN_OR_RETURN(Roaring excluded, union_where(m->name(), [m](std::string_view v) {
                                return !m->Matches(v);
                              }));
      result -= excluded;
    }
    if (!first && result.isEmpty()) break;
  }
  return result;
}

}  // namespace strata::storage::index
