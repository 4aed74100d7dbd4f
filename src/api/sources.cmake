# Sources of src/api/ (the public interface, include/ntkgram/), one file per line.
ntk_module_sources(api
  eigenvalues.c
  session.c
  theta.c
)
