//===- Main.cpp - The `adjoint` command -----------------------------------===//
int main() { return 0; }
