"""A long short-term memory (LSTM) cell unrolled through time (PyTorch's ``nn.LSTMCell``, one bias
per gate): the input, forget and output gates and the candidate cell of each step, the cell state
c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t and h_t = o_t ⊙ tanh(c_t); a loss on the last hidden state h_T,
backpropagation through time through both states, the gradients of the twelve parameters summed
over the steps, and plain gradient-descent updates."""
