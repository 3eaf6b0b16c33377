//===- TextTrainingParser.cpp - The training block of the text IR ---------===//
//
//   training { loss = "loss", optimizer = adam(lr=0.001), batch_size = 32,
//              epochs = 5, features = "x", labels = "y",
//              predictions = "logits" }
//
// Fields may come in any order, each at most once; only loss is required.
// Names are checked where they are written, the whole spec at the end.
//
//===----------------------------------------------------------------------===//
#include "ir/TextParserSupport.h"

#include <optional>

namespace adjoint::text {

namespace {

/// An optimizer: its kind, then optionally `(field = value, ...)`.
OptimizerConfig parseOptimizer(TokenCursor &c) {
  const Token &k = c.peek();
  std::optional<OptimizerKind> kind;
  if (k.kind == TokenKind::Word)
    kind = parseOptimizerKind(k.text);
  if (!kind)
    c.fail(k, "expected an optimizer: sgd, momentum, adam or adamw; found ",
           describeToken(k));
  c.next();
  OptimizerConfig opt;
  opt.kind = *kind;
  if (!c.accept(TokenKind::LParen))
    return opt;
  std::vector<std::string_view> names;
  for (OptimizerField f : optimizerFields(*kind))
    names.push_back(optimizerFieldName(f));
  if (!c.at(TokenKind::RParen)) {
    do {
      const Token &f = c.expect(TokenKind::Word, "an optimizer field");
      std::optional<OptimizerField> field;
      for (OptimizerField candidate : optimizerFields(*kind))
        if (optimizerFieldName(candidate) == f.text)
          field = candidate;
      if (!field)
        c.fail(f, "optimizer ", k.text, " has no field ", describeToken(f),
               "; it takes ", joined(names));
      std::string_view name = optimizerFieldName(*field);
      if (opt.get(*field))
        c.fail(f, "field '", name, "' is given twice");
      c.expect(TokenKind::Equals, strCat("'=' after '", name, "'"));
      if (*field == OptimizerField::Nesterov) {
        const Token &b = c.peek();
        if (b.kind != TokenKind::Word ||
            (b.text != "true" && b.text != "false"))
          c.fail(b, "expected true or false for 'nesterov', found ",
                 describeToken(b));
        opt.nesterov = c.next().text == "true";
      } else {
        opt.set(*field,
                c.parseFloat<double>(strCat("a number for '", name, "'")));
      }
    } while (c.accept(TokenKind::Comma));
  }
  c.expect(TokenKind::RParen, "',' or ')' after an optimizer field");
  return opt;
}

} // namespace

TrainingSpec parseTrainingBlock(TokenCursor &c, const Graph &g) {
  const Token &keyword = c.next(); // 'training'
  const Token &open = c.expect(TokenKind::LBrace, "'{' after 'training'");
  static constexpr std::string_view kFields[] = {
      "loss",     "optimizer", "batch_size",  "epochs",
      "features", "labels",    "predictions", "state_updates"};
  TrainingSpec spec;
  std::vector<std::string> seen;
  if (!c.at(TokenKind::RBrace)) {
    do {
      const Token &f = c.peek();
      std::string field = c.parseName("a training field such as loss");
      if (std::find(std::begin(kFields), std::end(kFields), field) ==
          std::end(kFields))
        c.fail(f, "unknown training field '", field, "'; expected ",
               joined({std::begin(kFields), std::end(kFields)}, " or "));
      if (std::find(seen.begin(), seen.end(), field) != seen.end())
        c.fail(f, "field '", field, "' is given twice");
      seen.push_back(field);
      c.expect(TokenKind::Equals, strCat("'=' after '", field, "'"));
      if (field == "optimizer") {
        spec.optimizer = parseOptimizer(c);
      } else if (field == "state_updates") {
        // ["param": "output", ...]
        c.expect(TokenKind::LBracket, "'[' after 'state_updates ='");
        if (!c.at(TokenKind::RBracket)) {
          do {
            const Token &p =
                c.expect(TokenKind::String, "a parameter's name in quotes");
            c.expect(TokenKind::Colon, "':' after the parameter");
            const Token &o =
                c.expect(TokenKind::String, "an output's name in quotes");
            spec.stateUpdates.push_back({p.text, o.text});
          } while (c.accept(TokenKind::Comma));
        }
        c.expect(TokenKind::RBracket, "',' or ']' after a state update");
      } else if (field == "batch_size" || field == "epochs") {
        const Token &n = c.peek();
        int64_t v = c.parseInt(strCat("a positive integer for '", field, "'"));
        if (v <= 0)
          c.fail(n, "'", field, "' must be positive, not ", v);
        (field == "epochs" ? spec.epochs : spec.batchSize) = v;
      } else {
        // loss and predictions name outputs; features and labels inputs.
        bool isOutput = field == "loss" || field == "predictions";
        const Token &s =
            c.expect(TokenKind::String,
                     strCat("the name of the ", field,
                            isOutput ? " output" : " input", " in quotes"));
        bool found = false;
        if (isOutput) {
          for (const Output &o : g.outputs())
            found |= o.name == s.text;
        } else {
          for (const Value *v : g.inputs())
            found |= v->name() == s.text;
        }
        if (!found)
          c.fail(s, "the training ", field, " ", describeToken(s), " names no ",
                 isOutput ? "output" : "input", " of the graph");
        (field == "loss"          ? spec.loss
         : field == "predictions" ? spec.predictions
         : field == "features"    ? spec.features
                                  : spec.labels) = s.text;
      }
    } while (c.accept(TokenKind::Comma));
  }
  c.expect(TokenKind::RBrace, "',' or '}' after a training field");
  if (spec.loss.empty())
    c.fail(open, "training needs a loss: training { loss = \"NAME\" }");
  c.located(keyword, [&] {
    withContext("training", [&] { verifyTrainingSpec(spec, g); });
  });
  return spec;
}

} // namespace adjoint::text
