// The higher layer, which may call the lower one.
int low_function();
int high_function() { return low_function() + 1; }
