"""How events leave a service for a message broker: RabbitMQ through FastStream."""
