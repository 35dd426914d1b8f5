// The lower layer; with REACH_UP it calls the higher one (defined in high.cpp).
int high_function();
int low_function() {
#ifdef REACH_UP
  return high_function();
#else
  return 1;
#endif
}
