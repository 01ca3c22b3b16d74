// Placeholder; replaced by the real main.
int main() { return 1; }
