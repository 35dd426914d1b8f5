// Never run: only the link matters.
int main() { return 0; }
