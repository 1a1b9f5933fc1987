/** ChatML, written so node-llama-cpp recognizes it as its ChatML chat wrapper. */
export const chatMlTemplate =
    "{% for message in messages %}" +
    "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}" +
    "{% endfor %}" +
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
