//===- Interpreter.cpp ---===//
