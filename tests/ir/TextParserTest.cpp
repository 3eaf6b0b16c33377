//===- TextParserTest.cpp - Errors of the textual IR parser ---------------===//
#include "ir/Error.h"
#include "ir/ModelIO.h"
#include "ir/TextFormat.h"
#include "proto/adjoint.pb.h"
#include "tests/support/RandomGraph.h"

#include <gtest/gtest.h>

using namespace adjoint;

namespace {

/// The message of the BadInput error that parsing `text` throws.
std::string errorOf(const std::string &text) {
  try {
    parseModel(text, "m.adj");
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return "";
}

/// A graph with input %x: f32[2,3] whose body is `body`.
std::string withBody(const std::string &body) {
  return "graph g(%x: f32[2,3]) {\n" + body + "}\n";
}

TEST(TextParser, LexicalErrors) {
  EXPECT_EQ(errorOf("graph g(%x: f32[2]) { @ }"),
            "m.adj:1:23: unexpected character '@'");
  EXPECT_EQ(errorOf("graph g() {\n\x01"),
            "m.adj:2:1: unexpected character '\\x01'");
  EXPECT_EQ(errorOf("graph \"g(%x: f32[2]) {}"),
            "m.adj:1:7: unterminated string");
  EXPECT_EQ(errorOf("graph \"a\\q\"() {}"), "m.adj:1:9: unknown escape '\\q'");
  EXPECT_EQ(errorOf("graph \"a\\x4\"() {}"),
            "m.adj:1:9: '\\x' must be followed by two hex digits");
  EXPECT_EQ(errorOf("graph g(% : f32[2]) {}"),
            "m.adj:1:9: expected a value name after '%'");
}

TEST(TextParser, SyntaxErrorsNameWhatWasExpected) {
  EXPECT_EQ(errorOf(""), "m.adj:1:1: expected 'graph', found end of file");
  EXPECT_EQ(errorOf("graph g(%x f32[2])"),
            "m.adj:1:12: expected ':' and a type after the input's name, "
            "found 'f32'");
  EXPECT_EQ(errorOf("graph g(%x: f32[2]"),
            "m.adj:1:19: expected ',' or ')' after an input, found end of "
            "file");
  EXPECT_EQ(errorOf(withBody("  relu(%x)\n")),
            "m.adj:2:3: expected a node such as %y = relu(%x) : f32[2], or "
            "'return', found 'relu'");
  EXPECT_EQ(errorOf(withBody("  %0 = relu(%x)\n  return %0\n")),
            "m.adj:3:3: expected ':' and the result type, found 'return'");
  EXPECT_EQ(errorOf(withBody("  return %x\n") + "extra"),
            "m.adj:4:1: expected end of file, found 'extra'");
  EXPECT_EQ(errorOf(withBody("  return %x %x\n")),
            "m.adj:2:13: expected ',' or '}' after the outputs, found %x");
}

TEST(TextParser, UndefinedAndTwiceDefinedValues) {
  EXPECT_EQ(errorOf(withBody("  %0 = relu(%y) : f32[2,3]\n  return %0\n")),
            "m.adj:2:13: operand %y names no value defined before it");
  // A value defined later is still undefined where it is used.
  EXPECT_EQ(errorOf(withBody("  %0 = relu(%1) : f32[2,3]\n"
                             "  %1 = relu(%x) : f32[2,3]\n  return %0\n")),
            "m.adj:2:13: operand %1 names no value defined before it");
  EXPECT_EQ(errorOf(withBody("  return %nope\n")),
            "m.adj:2:10: output %nope names no value defined before it");
  EXPECT_EQ(errorOf(withBody("  %x = relu(%x) : f32[2,3]\n  return %x\n")),
            "m.adj:2:3: value %x is defined twice (first on line 1)");
  EXPECT_EQ(errorOf("graph g(%x: f32[2], %x: f32[2]) {\n  return %x\n}\n"),
            "m.adj:1:21: value %x is defined twice (first on line 1)");
  EXPECT_EQ(errorOf("graph g(%\"\": f32[2]) {\n  return %\"\"\n}\n"),
            "m.adj:1:9: a value must have a name");
}

TEST(TextParser, ListsEveryUnknownOpAtOnce) {
  EXPECT_EQ(errorOf(withBody("  %0 = frobnicate(%x) : f32[2,3]\n"
                             "  %1 = relu(%0) : f32[2,3]\n"
                             "  %2 = twiddle(%1, %0) : f32[2,3]\n"
                             "  %3 = Relu(%2) : f32[2,3]\n  return %3\n")),
            "m.adj:2:8: 3 unknown ops: 'frobnicate' (line 2), 'twiddle' "
            "(line 4), 'Relu' (line 5)");
  EXPECT_EQ(errorOf(withBody("  %0 = softmax(%x) : f32[2,3]\n  return %0\n")),
            "m.adj:2:8: unknown op 'softmax'");
  std::string many;
  for (int i = 0; i < 25; ++i)
    many += "  %" + std::to_string(i) + " = op" + std::to_string(i) +
            "(%x) : f32[2,3]\n";
  std::string msg = errorOf(withBody(many + "  return %x\n"));
  EXPECT_EQ(msg.rfind("m.adj:2:8: 25 unknown ops: 'op0' (line 2), 'op1' "
                      "(line 3), ",
                      0),
            0u)
      << msg;
  EXPECT_NE(msg.find("'op19' (line 21) and 5 more"), std::string::npos) << msg;
  // In the header, a recipe is no op.
  EXPECT_EQ(errorOf("graph g() params(%w = zeros()) {\n  return %w\n}\n"),
            "m.adj:1:21: expected ':' and a type after the parameter's name, "
            "found '='");
}

TEST(TextParser, OperandCountsAndTypesAreChecked) {
  EXPECT_EQ(errorOf(withBody("  %0 = add(%x) : f32[2,3]\n  return %0\n")),
            "m.adj:2:8: node %0 (add): add takes 2 operands, got 1");
  EXPECT_EQ(errorOf(withBody("  %0 = concat() {axis = 0} : f32[2,3]\n"
                             "  return %0\n")),
            "m.adj:2:8: node %0 (concat): concat takes one or more operands, "
            "got 0");
  EXPECT_EQ(errorOf(withBody("  %0 = relu(%x) : f32[3,2]\n  return %0\n")),
            "m.adj:2:19: node %0 (relu): declared type f32[3,2] but the "
            "operands give f32[2,3]");
  std::string msg = errorOf(withBody("  %0 = matmul(%x, %x) : f32[2,2]\n"
                                     "  return %0\n"));
  EXPECT_EQ(msg.rfind("m.adj:2:8: node %0 (matmul): matmul: contraction", 0),
            0u)
      << msg;
}

TEST(TextParser, AttributesAreChecked) {
  EXPECT_EQ(errorOf(withBody("  %0 = cast(%x) : f32[2,3]\n  return %0\n")),
            "m.adj:2:8: node %0 (cast): op cast requires attribute 'to' "
            "(dtype)");
  EXPECT_EQ(errorOf(withBody("  %0 = cast(%x) {to = 3} : f32[2,3]\n"
                             "  return %0\n")),
            "m.adj:2:23: node %0 (cast): attribute 'to' must be dtype, not "
            "int");
  EXPECT_EQ(errorOf(withBody("  %0 = reduce_sum(%x) {axes = [1.5]} : f32[2]\n"
                             "  return %0\n")),
            "m.adj:2:31: node %0 (reduce_sum): attribute 'axes' must be ints, "
            "not floats");
  EXPECT_EQ(errorOf(withBody("  %0 = relu(%x) {alpha = 0.1} : f32[2,3]\n"
                             "  return %0\n")),
            "m.adj:2:18: node %0 (relu): op relu has no attribute 'alpha'; it "
            "takes none");
  EXPECT_EQ(errorOf(withBody("  %0 = argmax(%x) {axes = 1} : i64[2]\n"
                             "  return %0\n")),
            "m.adj:2:20: node %0 (argmax): op argmax has no attribute 'axes'; "
            "it takes axis and keepdims");
  EXPECT_EQ(errorOf(withBody("  %0 = argmax(%x) {axis = 1, axis = 0} : "
                             "i64[2]\n  return %0\n")),
            "m.adj:2:30: node %0 (argmax): attribute 'axis' is given twice");
  EXPECT_EQ(errorOf(withBody("  %0 = cast(%x) {to = f16} : f32[2,3]\n"
                             "  return %0\n")),
            "m.adj:2:23: expected an attribute value (a number, true, false, "
            "a string, a dtype, a list, a tensor or a graph), found 'f16'");
  EXPECT_EQ(errorOf(withBody("  %0 = constant() {value = f32[2] [1]} : "
                             "f32[2]\n  return %0\n")),
            "m.adj:2:35: f32[2] needs 2 values, found 1");
  EXPECT_EQ(errorOf(withBody("  %0 = reduce_sum(%x) {axes = [[1]]} : f32[2]\n"
                             "  return %0\n")),
            "m.adj:2:32: expected a number, found '['");
}

TEST(TextParser, TypesAreChecked) {
  EXPECT_EQ(errorOf("graph g(%x: f16[2]) {}"),
            "m.adj:1:13: unknown dtype 'f16'; expected f32, f64, i32, i64, "
            "bool or u8");
  EXPECT_EQ(errorOf("graph g(%x: f32[2,-1]) {}"),
            "m.adj:1:19: negative dimension -1");
  EXPECT_EQ(errorOf("graph g(%x: f32[1,1,1,1,1,1,1,1,1]) {}"),
            "m.adj:1:33: a type has at most 8 dimensions");
  EXPECT_EQ(errorOf("graph g(%x: f32[4294967296,4294967296]) {}"),
            "m.adj:1:13: type f32[4294967296,4294967296]: shape "
            "[4294967296,4294967296] has more elements or bytes than fit in "
            "64 bits");
  EXPECT_EQ(errorOf("graph g(%x: f32[2305843009213693952]) {}"),
            "m.adj:1:13: type f32[2305843009213693952]: shape "
            "[2305843009213693952] has more elements or bytes than fit in 64 "
            "bits");
  EXPECT_EQ(errorOf("graph g(%x: f32[99999999999999999999]) {}"),
            "m.adj:1:17: dimension '99999999999999999999' is out of range");
  EXPECT_EQ(
      errorOf("graph g(%x: f32[2.5]) {}"),
      "m.adj:1:17: expected a dimension (an integer >= 0, a symbol such as N "
      "or ?, or a multiple such as N*28), found '2.5'");
}

TEST(TextParser, LiteralDataIsChecked) {
  auto param = [](const std::string &decl) {
    return "graph g() params(%w: " + decl + ") {\n  return %w\n}\n";
  };
  EXPECT_EQ(errorOf(param("f32[3] = [1, 2]")),
            "m.adj:1:31: f32[3] needs 3 values, found 2");
  EXPECT_EQ(errorOf(param("f32[] = [1, 2]")),
            "m.adj:1:30: f32[] needs 1 value, found 2");
  EXPECT_EQ(errorOf(param("f32[1] = [1e39]")),
            "m.adj:1:32: number '1e39' is out of range for f32");
  EXPECT_EQ(errorOf(param("f64[1] = [infinity]")),
            "m.adj:1:32: expected a number for f64 data, found 'infinity'");
  EXPECT_EQ(errorOf(param("i32[1] = [2147483648]")),
            "m.adj:1:32: integer 2147483648 is out of range for i32");
  EXPECT_EQ(errorOf(param("u8[1] = [-1]")),
            "m.adj:1:31: integer -1 is out of range for u8");
  EXPECT_EQ(errorOf(param("i64[1] = [9223372036854775808]")),
            "m.adj:1:32: integer '9223372036854775808' is out of range for "
            "i64");
  EXPECT_EQ(errorOf(param("i32[1] = [1.5]")),
            "m.adj:1:32: expected an integer for i32 data, found '1.5'");
  EXPECT_EQ(errorOf(param("bool[1] = [1]")),
            "m.adj:1:33: expected true or false for bool data, found '1'");
  EXPECT_EQ(errorOf(param("f32[1] = [nan(0x800000)]")),
            "m.adj:1:36: expected the mantissa of a NaN (0x1 to 0x7fffff), "
            "found '0x800000'");
  EXPECT_EQ(errorOf(param("f32[1] = [1 2]")),
            "m.adj:1:34: expected ',' or ']' after a value, found '2'");
}

TEST(TextParser, InitializersAreChecked) {
  auto param = [](const std::string &decl) {
    return "graph g() params(%w: " + decl + ") {\n  return %w\n}\n";
  };
  EXPECT_EQ(errorOf(param("f32[2] = xavier")),
            "m.adj:1:31: expected an initial value: a list of values or one "
            "of zeros, ones, constant, uniform, normal, glorot_uniform, "
            "glorot_normal, he_uniform, he_normal; found 'xavier'");
  EXPECT_EQ(errorOf(param("f32[2] = zeros(seed=1)")),
            "m.adj:1:37: initializer zeros has no field 'seed'; it takes "
            "none");
  EXPECT_EQ(errorOf(param("f32[2] = normal(low=1)")),
            "m.adj:1:38: initializer normal has no field 'low'; it takes "
            "seed, mean and stddev");
  EXPECT_EQ(errorOf(param("f32[2] = he_normal(seed=1, seed=2)")),
            "m.adj:1:49: field 'seed' is given twice");
  EXPECT_EQ(errorOf(param("f32[2] = he_normal(seed=-1)")),
            "m.adj:1:46: expected a seed (an integer from 0 to 2^64-1), found "
            "'-1'");
  EXPECT_EQ(errorOf(param("i32[2] = glorot_uniform(seed=1)")),
            "m.adj:1:18: parameter %w: initializer glorot_uniform needs a "
            "float type, not i32[2]");
}

TEST(TextParser, OutputsAndTrainingAreChecked) {
  EXPECT_EQ(errorOf(withBody("  return\n")),
            "m.adj:2:3: graph g has no outputs");
  EXPECT_EQ(errorOf(withBody("  return a = %x, a = %x\n")),
            "m.adj:2:18: output 'a' is declared twice");
  EXPECT_EQ(errorOf(withBody("  return %x\n") + "training { loss = \"l\" }"),
            "m.adj:4:19: the training loss \"l\" names no output of the "
            "graph");
  EXPECT_EQ(errorOf(withBody("  return %x\n") + "training { }"),
            "m.adj:4:10: training needs a loss: training { loss = \"NAME\" }");
  EXPECT_EQ(errorOf(withBody("  return %x\n") + "training { rate = \"x\" }"),
            "m.adj:4:12: unknown training field 'rate'; expected loss, "
            "optimizer, batch_size, epochs, features, labels, predictions or "
            "state_updates");
  EXPECT_EQ(errorOf(withBody("  return %x\n") + "training { loss = x }"),
            "m.adj:4:19: expected the name of the loss output in quotes, "
            "found 'x'");
}

/// A graph with a loss, for training blocks: `fields` go inside the braces,
/// on line 5, which starts with "training { " (so the fields start at
/// column 12).
std::string trainingError(const std::string &fields) {
  return errorOf("graph g(%x: f32[4,3], %y: i64[4], %z: f32[5], %k: f32[]) {\n"
                 "  %l = reduce_sum(%x) : f32[]\n"
                 "  return loss = %l, logits = %x, v = %z\n"
                 "}\n"
                 "training { " +
                 fields + " }\n");
}

/// A graph with a parameter and outputs for state updates.
std::string stateUpdateError(const std::string &updates) {
  return errorOf("graph g(%x: f32[3]) params(%m: f32[3] = zeros) {\n"
                 "  %l = reduce_sum(%x) : f32[]\n"
                 "  %n = add(%m, %x) : f32[3]\n"
                 "  return loss = %l, next = %n, x = %x\n"
                 "}\n"
                 "training { loss = \"loss\", state_updates = " +
                 updates + " }\n");
}

TEST(TextParser, StateUpdatesRoundTripAndAreChecked) {
  std::string text = "graph g(%x: f32[3]) params(%m: f32[3] = zeros) {\n"
                     "  %l = reduce_sum(%x) : f32[]\n"
                     "  %n = add(%m, %x) : f32[3]\n"
                     "  return loss = %l, next = %n\n"
                     "}\n"
                     "training { loss = \"loss\", state_updates = "
                     "[\"m\": \"next\"] }\n";
  Model m = parseModel(text, "m.adj");
  ASSERT_TRUE(m.training.has_value());
  ASSERT_EQ(m.training->stateUpdates.size(), 1u);
  EXPECT_EQ(m.training->stateUpdates[0].param, "m");
  EXPECT_EQ(m.training->stateUpdates[0].output, "next");
  EXPECT_EQ(printModel(parseModel(printModel(m))), printModel(m));
  EXPECT_NE(printModel(m).find("state_updates = [\"m\": \"next\"]"),
            std::string::npos)
      << printModel(m);
  EXPECT_EQ(fromProto(toProto(m), "m.pb").training, m.training);
  EXPECT_EQ(stateUpdateError("[\"x\": \"next\"]"),
            "m.adj:6:1: training: state update of 'x': not a float parameter "
            "of the graph");
  EXPECT_EQ(stateUpdateError("[\"m\": \"nope\"]"),
            "m.adj:6:1: training: state update of 'm': 'nope' is not an "
            "output of the graph");
  EXPECT_EQ(stateUpdateError("[\"m\": \"loss\"]"),
            "m.adj:6:1: training: state update of 'm' (f32[3]) from output "
            "'loss' of another type, f32[]");
  EXPECT_EQ(stateUpdateError("[\"m\": \"next\", \"m\": \"x\"]"),
            "m.adj:6:1: training: state update of 'm' is given twice");
  EXPECT_EQ(stateUpdateError("[\"m\" \"next\"]"),
            "m.adj:6:48: expected ':' after the parameter, found \"next\"");
}

TEST(TextParser, TrainingFieldsAreChecked) {
  EXPECT_EQ(trainingError("loss = \"loss\", loss = \"loss\""),
            "m.adj:5:27: field 'loss' is given twice");
  EXPECT_EQ(trainingError("loss = \"logits\""),
            "m.adj:5:1: training: the loss 'logits' must be a float scalar, "
            "not f32[4,3]");
  EXPECT_EQ(trainingError("loss = \"loss\", batch_size = 0"),
            "m.adj:5:40: 'batch_size' must be positive, not 0");
  EXPECT_EQ(trainingError("loss = \"loss\", epochs = x"),
            "m.adj:5:36: expected a positive integer for 'epochs', found 'x'");
  EXPECT_EQ(trainingError("loss = \"loss\", batch_size = 8, features = \"x\""),
            "m.adj:5:1: training: batch_size 8 differs from the leading "
            "(batch) dimension of features 'x' f32[4,3]");
  EXPECT_EQ(trainingError("loss = \"loss\", features = \"l\""),
            "m.adj:5:38: the training features \"l\" names no input of the "
            "graph");
  EXPECT_EQ(trainingError("loss = \"loss\", features = \"k\""),
            "m.adj:5:1: training: features 'k' must have a leading (batch) "
            "dimension, not f32[]");
  EXPECT_EQ(trainingError("loss = \"loss\", features = \"x\", labels = \"x\""),
            "m.adj:5:1: training: features and labels name the same input "
            "'x'");
  EXPECT_EQ(trainingError("loss = \"loss\", features = \"x\", labels = \"z\""),
            "m.adj:5:1: training: labels 'z' f32[5] and features 'x' f32[4,3] "
            "differ in their leading (batch) dimension");
  EXPECT_EQ(trainingError("loss = \"loss\", predictions = \"y\""),
            "m.adj:5:41: the training predictions \"y\" names no output of "
            "the graph");
  EXPECT_EQ(trainingError("loss = \"loss\", predictions = \"v\""),
            "m.adj:5:1: training: predictions 'v' must be a float matrix "
            "[batch, classes], not f32[5]");
}

TEST(TextParser, OptimizersAreChecked) {
  EXPECT_EQ(trainingError("loss = \"loss\", optimizer = rmsprop"),
            "m.adj:5:39: expected an optimizer: sgd, momentum, adam or adamw; "
            "found 'rmsprop'");
  EXPECT_EQ(trainingError("loss = \"loss\", optimizer = adam(momentum=0.9)"),
            "m.adj:5:44: optimizer adam has no field 'momentum'; it takes lr, "
            "beta1, beta2, epsilon and weight_decay");
  EXPECT_EQ(trainingError("loss = \"loss\", optimizer = sgd(lr=1, lr=2)"),
            "m.adj:5:49: field 'lr' is given twice");
  EXPECT_EQ(trainingError("loss = \"loss\", optimizer = momentum(nesterov=1)"),
            "m.adj:5:57: expected true or false for 'nesterov', found '1'");
  EXPECT_EQ(trainingError("loss = \"loss\", optimizer = adam(lr=x)"),
            "m.adj:5:47: expected a number for 'lr', found 'x'");
  EXPECT_EQ(trainingError("loss = \"loss\", optimizer = adam(lr=-1)"),
            "m.adj:5:1: training: optimizer adam: lr must be a finite number "
            "> 0, not -1");
  EXPECT_EQ(trainingError("loss = \"loss\", optimizer = adamw(beta2=1)"),
            "m.adj:5:1: training: optimizer adamw: beta2 must be in [0, 1), "
            "not 1");
  EXPECT_EQ(trainingError("loss = \"loss\", optimizer = adam(epsilon=0)"),
            "m.adj:5:1: training: optimizer adam: epsilon must be a finite "
            "number > 0, not 0");
  EXPECT_EQ(trainingError("loss = \"loss\", optimizer = sgd(weight_decay=nan)"),
            "m.adj:5:1: training: optimizer sgd: weight_decay must be a "
            "finite number >= 0, not nan");
  EXPECT_EQ(
      trainingError(
          "loss = \"loss\", optimizer = momentum(momentum=0, nesterov=true)"),
      "m.adj:5:1: training: optimizer momentum: nesterov needs momentum > 0");
  EXPECT_EQ(trainingError("loss = \"loss\", optimizer = sgd("),
            "m.adj:5:44: expected an optimizer field, found '}'");
}

TEST(TextParser, SurvivesHostileInput) {
  // Deep brackets, huge numbers and long garbage are errors, not crashes.
  std::string deep =
      withBody("  %0 = reduce_sum(%x) {axes = " + std::string(100000, '[') +
               "} : f32[]\n");
  EXPECT_NE(errorOf(deep).find("expected a number"), std::string::npos);
  std::string huge(5000, '9');
  EXPECT_NE(errorOf("graph g(%x: f32[" + huge + "]) {}").find("out of range"),
            std::string::npos);
  std::string longName = "graph g(%" + std::string(100000, 'a') + " f32";
  std::string msg = errorOf(longName);
  EXPECT_LT(msg.size(), 200u) << "a long token is cut short in messages";
  std::string nul("graph g(%x: f32[2]) {\0}", 23);
  EXPECT_EQ(errorOf(nul), "m.adj:1:22: unexpected character '\\x00'");
}

/// Parses `text`; it may fail only with BadInput, and what parses must print
/// and parse back to the same text. Returns true if it parsed.
bool expectParsesOrFailsCleanly(const std::string &text) {
  try {
    Model m = parseModel(text, "fuzz.adj");
    std::string printed = printModel(m);
    EXPECT_EQ(printModel(parseModel(printed)), printed) << text;
    return true;
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput) << e.what();
    return false;
  }
}

/// A text with every construct of the grammar in it.
std::string fuzzSeedText() {
  return "# every construct\n"
         "graph \"f z\"(%x: f32[2,3], %i: i64[2]) params(%w: f32[3,2] = "
         "uniform(seed=5, low=-1.0, high=1.0), %b: f64[2] = [nan(0x1), -0], "
         "%u: u8[2] = [0, 255], %c: bool[] = [true]) {\n"
         "  %0 = matmul(%x, %w) : f32[2,2]\n"
         "  %\"s p\" = reduce_sum(%0) {axes = [-1], keepdims = true} : "
         "f32[2,1]\n"
         "  %k = constant() {value = f32[2] [1.5, -inf]} : f32[2]\n"
         "  %p = pad(%k) {pads = [1, 0], value = 0.5} : f32[3]\n"
         "  %g = gather(%x, %i) {axis = 1} : f32[2,2]\n"
         "  %t = cast(%g) {to = f64} : f64[2,2]\n"
         "  %a = add(%t, %b) : f64[2,2]\n"
         "  %l = reduce_sum(%0) : f32[]\n"
         "  return %a, loss = %l, \"o\\tut\" = %\"s p\"\n"
         "}\n"
         "training { loss = \"loss\" }\n";
}

TEST(TextParser, TruncationsNeverCrash) {
  std::string text = fuzzSeedText();
  ASSERT_NO_THROW(parseModel(text));
  int parsed = 0;
  for (size_t n = 0; n < text.size(); ++n)
    parsed += expectParsesOrFailsCleanly(text.substr(0, n));
  // The only valid cuts: just after the graph's closing brace (with and
  // without its newline) and just before the final newline.
  EXPECT_EQ(parsed, 3);
}

TEST(TextParser, MutationsNeverCrash) {
  std::vector<std::string> seeds = {fuzzSeedText()};
  for (uint64_t s = 0; s < 4; ++s)
    seeds.push_back(printModel(adjoint::testing::randomModel(s * 7 + 3)));
  const std::string alphabet = "%[](){},:=#\"\\-+.0123456789eEfinax \n\x80";
  uint64_t state = 12345;
  auto next = [&](uint64_t bound) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (state >> 33) % bound;
  };
  int parsed = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string text = seeds[next(seeds.size())];
    for (uint64_t edits = 1 + next(3); edits > 0; --edits) {
      size_t pos = next(text.size());
      char c = next(4) ? alphabet[next(alphabet.size())] : (char)next(256);
      switch (next(4)) {
      case 0:
        text[pos] = c;
        break;
      case 1:
        text.insert(text.begin() + pos, c);
        break;
      case 2:
        text.erase(pos, 1 + next(8));
        break;
      default:
        // Another digit for a digit: mostly still valid, so the round trip
        // of what parses is tested too.
        if (text[pos] >= '0' && text[pos] <= '9')
          text[pos] = (char)('0' + next(10));
        break;
      }
    }
    parsed += expectParsesOrFailsCleanly(text);
  }
  // Enough mutants stay valid for the round-trip check to mean something.
  EXPECT_GT(parsed, 100);
}

} // namespace

namespace {

/// A scan whose body holds a scan, `depth` graphs deep in all.
std::string nestedScans(int depth) {
  std::string body = "graph g(%h: f32[2], %x: f32[2]) {\n  %n = add(%h, %x) : "
                     "f32[2]\n  return %n\n}";
  for (int i = 1; i < depth; ++i)
    body = "graph g(%h: f32[2], %x: f32[2]) {\n  %xs = reshape(%x) {shape = "
           "[1, 2]} : f32[1,2]\n  %s = scan(%h, %xs) {body = " +
           body +
           "} : f32[1,2]\n  %n = reshape(%s) {shape = [2]} : f32[2]\n "
           " return %n\n}";
  return "graph m(%h: f32[2], %xs: f32[1,2]) {\n  %s = scan(%h, %xs) {body = " +
         body + "} : f32[1,2]\n  return %s\n}\n";
}

TEST(TextParser, ScanBodiesNestAtMost16Deep) {
  Model m = parseModel(nestedScans(16), "m.adj");
  EXPECT_EQ(printModel(parseModel(printModel(m))), printModel(m));
  EXPECT_NE(errorOf(nestedScans(17)).find("graphs nest more than 16 deep"),
            std::string::npos)
      << errorOf(nestedScans(17));
}

} // namespace
